#!/usr/bin/env python3
"""Batch throughput and memory of `switchboard batch` (issue 5), against scikit-learn and fastText.

Run from the repository root, after `swift build -c release`:

    python3 Benchmarks/batch.py [--repeat 3] [--skip-1gb]

In one run, in a temporary directory outside the repository (deleted at the end):

 1. Generates JSONL inboxes, one `{"id": "N", "text": "..."}` a line, from the test texts of
    banking77 (../shared/data/banking77/test.tsv, read in place) and of the shipped corpus
    (corpus/test/*.jsonl), varied with a seeded random generator (greetings, sign-offs, case,
    reference numbers, a dropped word) so that lines are not verbatim repeats: one stream, cut into
    a file of 1,000,000 messages (the throughput file) and files of about 10 MB, 100 MB and 1 GB
    (prefixes of the same stream).
 2. Times `switchboard batch -m models/default.sbm -p models/policy.yaml --output OUT.jsonl FILE`
    (with copies of the binary, model and policy taken at the start) on the 1M file by wall clock, the whole process (start, model load, reading, routing on all
    cores, writing), median of N runs (default 3), under `/usr/bin/time -f %M` for the peak RSS.
 3. In the same run, on the same 1M file, end to end in this Python process (imports and training
    excluded, timed separately): read the JSONL (json.loads per line), predict, write one
    `{"id", "label"}` line per message to a file:
      - scikit-learn's best naive-Bayes pipeline of ../shared/bench/baselines.py,
        `sklearn-mnb-tfidf-w12c25` (imported from baselines.py), fitted on the corpus training
        texts (the corpus models/default.sbm is trained on), predicting chunks of 20,000 messages;
        one run (it is slow); stopped after --sklearn-budget seconds (default 900), in which case
        the throughput is that of the part done, and the report says so;
      - fastText with baselines.py's settings (epoch 25, lr 0.5, word 2-grams, char 2-5-grams,
        dim 100, lower-cased text), trained on the same texts, predicting with the C++ binding as
        baselines.py does; median of N runs, or 1 when a run takes over 120 s.
    Both are single-threaded (their predict paths are); Switchboard uses every core.
 4. Peak RSS (`/usr/bin/time -f %M`) and time of `switchboard batch ... --output OUT FILE` on the
    10 MB, 100 MB and 1 GB files (memory must stay flat as the input grows).

Prints a Markdown report (standard output; progress on standard error) with the ratios the issue
sets as targets: Switchboard messages/s >= 5x sklearn-mnb-tfidf-w12c25's, >= fastText's.
"""
import argparse
import datetime
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import benchlib

MODEL_COPY = POLICY_COPY = None  # set in main()
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
BUILT = os.path.join(ROOT, ".build", "release", "switchboard")
MODEL = os.path.join(ROOT, "models", "default.sbm")   # copied at the start, see main()
POLICY = os.path.join(ROOT, "models", "policy.yaml")
MILLION = 1_000_000
SIZES = [("10 MB", 10 * 1000**2), ("100 MB", 100 * 1000**2), ("1 GB", 1000**3)]
SEED = 20261130
TIMEOUT = 1800  # seconds, any one command

GREETINGS = ["", "", "", "Hi, ", "Hello, ", "Bonjour, ", "bonjour ", "Hey ", "Good morning, ", "Bonsoir, ", "Madame, Monsieur, "]
SIGN_OFFS = ["", "", "", " Thanks", " thank you!", " Merci", " merci d'avance", " Cordialement", " asap please", " !!", " ?", " 🙏"]
DIGITS = re.compile(r"\d")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def base_texts():
    texts = []
    with open(os.path.join(SHARED, "data", "banking77", "test.tsv"), encoding="utf-8") as f:
        for line in f:
            label, _, text = line.rstrip("\n").partition("\t")
            if text:
                texts.append(text)
    corpus = os.path.join(ROOT, "corpus", "test")
    for name in sorted(os.listdir(corpus)):
        if name.endswith(".jsonl"):
            with open(os.path.join(corpus, name), encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        texts.append(" ".join(json.loads(line)["text"].split()))
    return texts


def variant(rng, text):
    if rng.random() < 0.3:
        words = text.split(" ")
        if len(words) > 4:
            del words[rng.randrange(len(words))]
            text = " ".join(words)
    if rng.random() < 0.2:
        text = DIGITS.sub(lambda _: str(rng.randrange(10)), text)
    r = rng.random()
    if r < 0.1:
        text = text.lower()
    elif r < 0.13:
        text = text.upper()
    return rng.choice(GREETINGS) + text + rng.choice(SIGN_OFFS)


def generate(work, texts, want_1gb):
    """One seeded stream of messages, cut into the 1M-message file and the 10 MB / 100 MB / 1 GB files."""
    rng = random.Random(SEED)
    targets = [(label, limit, os.path.join(work, "inbox-%s.jsonl" % label.replace(" ", ""))) for label, limit in SIZES if want_1gb or limit < 1000**3]
    million = os.path.join(work, "inbox-1M.jsonl")
    biggest = max(limit for _, limit, _ in targets)
    handles = {path: open(path, "w", encoding="utf-8") for _, _, path in targets}
    sizes = {path: 0 for _, _, path in targets}
    counts = {path: 0 for _, _, path in targets}
    one_m = open(million, "w", encoding="utf-8")
    n = 0
    written = 0
    t0 = time.time()
    try:
        while written < biggest or n < MILLION:
            line = '{"id": "%d", "text": %s}\n' % (n, json.dumps(variant(rng, rng.choice(texts)), ensure_ascii=False))
            size = len(line.encode("utf-8"))
            if n < MILLION:
                one_m.write(line)
            for _, limit, path in targets:
                if sizes[path] + size <= limit:
                    handles[path].write(line)
                    sizes[path] += size
                    counts[path] += 1
            written += size
            n += 1
    finally:
        one_m.close()
        for h in handles.values():
            h.close()
    log("generated %d messages in %.1f s" % (n, time.time() - t0))
    files = [(label, path, os.path.getsize(path), counts[path]) for label, _, path in targets]
    return million, files


def timed_batch(binary, inbox, out, threads=None):
    cmd = ["/usr/bin/time", "-f", "%M", binary, "batch", "-m", MODEL_COPY, "-p", POLICY_COPY, "--output", out]
    if threads:
        cmd += ["--threads", str(threads)]
    cmd.append(inbox)
    log("$", " ".join(cmd[3:]))
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=TIMEOUT, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit("switchboard batch failed (%d): %s" % (proc.returncode, proc.stderr[-2000:]))
    lines = [l for l in proc.stderr.replace("\r", "\n").splitlines() if l.strip()]
    rss_kib = int(lines[-1])
    summary = next((l for l in lines if l.startswith("read ")), "")
    with open(out, "rb") as f:
        records = sum(1 for _ in f)
    os.unlink(out)
    return seconds, rss_kib, summary, records


def corpus_training():
    labels, texts = [], []
    directory = os.path.join(ROOT, "corpus", "train")
    for name in sorted(os.listdir(directory)):
        if name.endswith(".jsonl"):
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        record = json.loads(line)
                        labels.append(record["label"])
                        texts.append(record["text"])
    return labels, texts


def sklearn_end_to_end(inbox, out, labels, texts, budget):
    sys.path.insert(0, os.path.join(SHARED, "bench"))
    from baselines import sklearn_baselines  # noqa: E402
    model = sklearn_baselines()["sklearn-mnb-tfidf-w12c25"]()
    t0 = time.perf_counter()
    model.fit(texts, labels)
    fit = time.perf_counter() - t0
    done = 0
    complete = True
    t0 = time.perf_counter()
    with open(inbox, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as w:
        ids, chunk = [], []

        def flush():
            for i, label in zip(ids, model.predict(chunk)):
                w.write('{"id": %s, "label": %s}\n' % (json.dumps(i), json.dumps(label)))

        for line in f:
            record = json.loads(line)
            ids.append(record["id"])
            chunk.append(record["text"])
            if len(chunk) == 20_000:
                flush()
                done += len(chunk)
                ids, chunk = [], []
                if time.perf_counter() - t0 > budget:
                    complete = False
                    break
        if chunk and complete:
            flush()
            done += len(chunk)
    seconds = time.perf_counter() - t0
    os.unlink(out)
    return fit, seconds, done, complete


def fasttext_train(work, labels, texts):
    import fasttext
    path = os.path.join(work, "fasttext-train.txt")
    with open(path, "w", encoding="utf-8") as f:
        for y, x in zip(labels, texts):
            f.write("__label__%s %s\n" % (y.replace(" ", "_"), " ".join(x.lower().split())))
    t0 = time.perf_counter()
    model = fasttext.train_supervised(path, epoch=25, lr=0.5, wordNgrams=2, minn=2, maxn=5, dim=100, thread=1, verbose=0)
    return model, time.perf_counter() - t0


def fasttext_end_to_end(model, inbox, out):
    predict = model.f.predict  # the C++ binding, as baselines.py (the wrapper breaks on numpy 2)
    n = 0
    t0 = time.perf_counter()
    with open(inbox, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as w:
        for line in f:
            record = json.loads(line)
            text = " ".join(record["text"].lower().split())
            label = predict(text + "\n", 1, 0.0, "strict")[0][1][len("__label__"):]
            w.write('{"id": %s, "label": %s}\n' % (json.dumps(record["id"]), json.dumps(label)))
            n += 1
    seconds = time.perf_counter() - t0
    os.unlink(out)
    return seconds, n


def mib(kib):
    return kib / 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-1gb", action="store_true", help="leave out the 1 GB file")
    ap.add_argument("--sklearn-budget", type=float, default=900.0, help="seconds of sklearn prediction before stopping")
    args = ap.parse_args()
    if not os.path.exists(BUILT):
        raise SystemExit("build first: swift build -c release")
    start = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()[0]
    binary_note = benchlib.describe_binary(BUILT)
    work = tempfile.mkdtemp(prefix="switchboard-batch-")
    out = os.path.join(work, "out.jsonl")
    try:
        binary = os.path.join(work, "switchboard")
        shutil.copy2(BUILT, binary)
        # Snapshots, so that a model retrained (or a binary rebuilt) by someone else mid-run cannot
        # change what later runs measure.
        global MODEL_COPY, POLICY_COPY
        MODEL_COPY, POLICY_COPY = os.path.join(work, "default.sbm"), os.path.join(work, "policy.yaml")
        shutil.copy2(MODEL, MODEL_COPY)
        shutil.copy2(POLICY, POLICY_COPY)
        model_id = json.loads(subprocess.run([binary, "inspect", MODEL_COPY, "--json"], check=True, capture_output=True).stdout)["id"]
        texts = base_texts()
        million, files = generate(work, texts, not args.skip_1gb)
        million_bytes = os.path.getsize(million)

        sb_runs = [timed_batch(binary, million, out) for _ in range(args.repeat)]
        sb_seconds = statistics.median(r[0] for r in sb_runs)
        sb_rate = MILLION / sb_seconds
        for r in sb_runs:
            if r[3] != MILLION:
                raise SystemExit("switchboard batch wrote %d records for %d messages" % (r[3], MILLION))

        labels, train_texts = corpus_training()
        ft_model, ft_fit = fasttext_train(work, labels, train_texts)
        ft_runs = []
        for _ in range(args.repeat):
            ft_runs.append(fasttext_end_to_end(ft_model, million, out))
            if ft_runs[-1][0] > 120:
                break
        ft_seconds = statistics.median(r[0] for r in ft_runs)
        ft_rate = MILLION / ft_seconds
        del ft_model

        sk_fit, sk_seconds, sk_done, sk_complete = sklearn_end_to_end(million, out, labels, train_texts, args.sklearn_budget)
        sk_rate = sk_done / sk_seconds

        sizes = [(label, size, count) + timed_batch(binary, path, out) for label, path, size, count in files]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    end = datetime.datetime.now(datetime.timezone.utc)

    p = print
    p("- command: `python3 Benchmarks/batch.py%s`" % ("".join(a for a in [
        " --repeat %d" % args.repeat if args.repeat != 3 else "", " --skip-1gb" if args.skip_1gb else "",
        " --sklearn-budget %g" % args.sklearn_budget if args.sklearn_budget != 900 else ""])))
    p("- date: %s to %s (UTC)" % (start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%H:%M:%S")))
    p("- machine: %s" % benchlib.machine())
    p("- load average (1 min) before / after: %.2f / %.2f" % (load_before, os.getloadavg()[0]))
    p("- %s" % binary_note)
    p("- model: models/default.sbm (copied at start), id %s; policy models/policy.yaml (copied at start)" % model_id)
    p("- input: %d messages, %.1f MB of JSONL (%d base texts: banking77 test + corpus test, varied with seed %d)" % (
        MILLION, million_bytes / 1e6, len(texts), SEED))
    p()
    p("### Throughput on 1,000,000 messages, end to end")
    p()
    p("| system | what is timed | runs (s) | seconds (median) | messages/s | Switchboard / this |")
    p("|---|---|---|---|---|---|")
    p("| **switchboard batch** (all cores) | whole process: start, model load, read JSONL, route, write `--output` | %s | %.2f | %.0f | 1.00x |" % (
        ", ".join("%.2f" % r[0] for r in sb_runs), sb_seconds, sb_rate))
    p("| fastText (1 thread) | read JSONL, predict, write JSONL, in Python; training %.2f s excluded | %s | %.2f | %.0f | %.2fx |" % (
        ft_fit, ", ".join("%.2f" % r[0] for r in ft_runs), ft_seconds, ft_rate, sb_rate / ft_rate))
    p("| sklearn-mnb-tfidf-w12c25 (1 thread) | read JSONL, predict in chunks of 20,000, write JSONL, in Python; fit %.2f s excluded | %.2f%s | %.2f | %.0f | %.2fx |" % (
        sk_fit, sk_seconds, "" if sk_complete else " (stopped after %d messages)" % sk_done, sk_seconds, sk_rate, sb_rate / sk_rate))
    p()
    p("- switchboard batch summary (first run): %s" % sb_runs[0][2])
    p("- switchboard batch peak RSS on the 1M file: %s MiB" % ", ".join("%.1f" % mib(r[1]) for r in sb_runs))
    p("- targets: Switchboard >= 5x sklearn-mnb-tfidf-w12c25: %.2fx (%s); >= fastText: %.2fx (%s)" % (
        sb_rate / sk_rate, "met" if sb_rate >= 5 * sk_rate else "NOT met", sb_rate / ft_rate, "met" if sb_rate >= ft_rate else "NOT met"))
    p()
    p("### Peak memory against input size (`switchboard batch ... --output OUT FILE`, one run each)")
    p()
    p("| file | bytes | messages | seconds | messages/s | peak RSS (MiB) |")
    p("|---|---|---|---|---|---|")
    for label, size, count, seconds, rss, summary, records in sizes:
        p("| %s | %d | %d | %.2f | %.0f | %.1f |" % (label, size, count, seconds, count / seconds, mib(rss)))
        if records != count:
            p("| (%s: %d records written for %d messages) | | | | | |" % (label, records, count))


if __name__ == "__main__":
    main()
