#!/usr/bin/env python3
"""Training on a large corpus with a bounded vocabulary: `switchboard train --max-features N`.

Run from the repository root, after `swift build -c release`:

    python3 Benchmarks/large_corpus.py [--gigabytes 1.0] [--max-features 200000,1000000] [--shard] [--keep]
    python3 Benchmarks/large_corpus.py --gigabytes 0.02          # a quick smoke run

 1. Makes a labelled TSV corpus of about --gigabytes (10^9 bytes) under --workdir (default
    /tmp/switchboard-large-corpus; never in the repository) from the training splits of
    ../shared/data/{banking77,20newsgroups,sms_spam} (read in place): pass 0 is every example as
    it is (the examples of all datasets shuffled once, seeded); each later pass p rewrites every example with a generator seeded by (--seed, p):
    every word is dropped with probability 0.08, gets two adjacent letters swapped with 0.08
    (words of 4 letters or more), is doubled with 0.05, and the token `passP` is appended, so
    that no two passes give the same texts and the vocabulary keeps growing (typos) as real
    data's does; labels are kept. The passes are made by one worker process per core and
    written in pass order, so the file depends only on the size and the seed; the last pass is
    cut at a line so the file stops at the size asked for. A file already made with the same
    size and seed is reused; the file is deleted at the end unless --keep.
 2. For each N of --max-features (a comma-separated list; `none` for no bound):
    `/usr/bin/time -f %M switchboard train --max-features N [--shard] --alpha A --variant V
    --char-weight W --priors P --idf X --output MODEL CORPUS` with a copy of the binary taken at
    the start: wall clock and peak RSS of the whole process, the model file's size and feature
    count (`switchboard inspect --json`). The hyperparameters are fixed, so that no search runs
    on the large corpus (plain `train` still cross-validates the one candidate to calibrate;
    --shard only counts the statistics, without cross-validation or calibration).
 3. Accuracy and macro-F1 of each model on the held-out test splits
    ../shared/data/DATASET/test.tsv (`switchboard eval --json`), one column per dataset; the
    model knows the labels of all three datasets.

Prints a Markdown report (standard output; progress on standard error) with the machine, the
date and one row per N.
"""
import argparse
import datetime
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

from benchlib import logger, add_hyperparameter_arguments, hyper_flags, describe_binary, report_head, run as run_checked

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
BUILT = os.path.join(ROOT, ".build", "release", "switchboard")
DATASETS = ["banking77", "20newsgroups", "sms_spam"]
DROP, TYPO, DOUBLE = 0.08, 0.08, 0.05
TIMEOUT = 6 * 3600


def run(cmd, **kw):
    return run_checked(cmd, TIMEOUT, capture=False, **kw)
log = logger("large_corpus.py")

_EXAMPLES = None  # (label, text) pairs, set in each worker process



def read_examples(datasets, seed):
    examples = []
    for name in datasets:
        with open(os.path.join(SHARED, "data", name, "train.tsv"), encoding="utf-8") as f:
            for line in f:
                label, tab, text = line.rstrip("\n").partition("\t")
                if tab and text.strip():
                    examples.append((label, text))
    random.Random(seed).shuffle(examples)  # datasets and labels mixed, so that any prefix holds them all
    return examples


def _init_worker(examples):
    global _EXAMPLES
    _EXAMPLES = examples


def make_pass(job):
    """The text of pass p: every example, varied (p > 0) with a generator seeded by (seed, p)."""
    seed, p = job
    if p == 0:
        return "".join("%s\t%s\n" % e for e in _EXAMPLES)
    rng = random.Random(seed * 1_000_003 + p)
    rnd = rng.random
    tag = "pass%d" % p
    out = []
    for label, text in _EXAMPLES:
        words = []
        for w in text.split(" "):
            r = rnd()
            if r < DROP:
                continue
            if r < DROP + TYPO and len(w) > 3:
                i = int(rnd() * (len(w) - 1))
                w = w[:i] + w[i + 1] + w[i] + w[i + 2:]
            words.append(w)
            if r > 1.0 - DOUBLE:
                words.append(w)
        words.append(tag)
        out.append("%s\t%s\n" % (label, " ".join(words)))
    return "".join(out)


def generate(path, target_bytes, seed, datasets):
    examples = read_examples(datasets, seed)
    tmp = path + ".tmp-%d" % os.getpid()
    one_pass = sum(len(("%s\t%s\n" % e).encode("utf-8")) for e in examples)
    most = 10 * (target_bytes // max(1, one_pass)) + 10  # passes are about the same size; stop when full
    written = passes = lines = 0
    t0 = time.time()
    try:
        with multiprocessing.Pool(os.cpu_count() or 1, initializer=_init_worker, initargs=(examples,)) as pool, \
                open(tmp, "wb") as f:
            for text in pool.imap(make_pass, ((seed, p) for p in range(most))):
                data = text.encode("utf-8")
                full = len(data) >= target_bytes - written
                if full:
                    data = data[:data.rfind(b"\n", 0, target_bytes - written) + 1]  # whole lines only
                f.write(data)
                written += len(data)
                lines += data.count(b"\n")
                passes += 1
                if passes % 5 == 0:
                    log("  %d passes, %.0f MB" % (passes, written / 1e6))
                if full:
                    break
            pool.terminate()  # the passes made ahead are not needed
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    os.replace(tmp, path)
    log("generated %s: %d bytes, %d lines, %d passes in %.1f s" % (path, written, lines, passes, time.time() - t0))
    return {"bytes": written, "lines": lines, "passes": passes, "base_examples": len(examples)}



def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gigabytes", type=float, default=1.0, help="corpus size in 10^9 bytes (default: %(default)s)")
    ap.add_argument("--max-features", default="200000,1000000",
                    help="comma-separated bounds, `none` for no --max-features (default: %(default)s)")
    ap.add_argument("--shard", action="store_true", help="`train --shard`: statistics only, no cross-validation or calibration")
    ap.add_argument("--datasets", default=",".join(DATASETS), help="folders of ../shared/data to draw from (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=20261130)
    ap.add_argument("--workdir", default="/tmp/switchboard-large-corpus", help="where the corpus is made (default: %(default)s)")
    ap.add_argument("--keep", action="store_true", help="keep the corpus for the next run (reused if size and seed match)")
    ap.add_argument("--threads", type=int, help="train --threads (default: switchboard's, all cores)")
    add_hyperparameter_arguments(ap)
    args = ap.parse_args()
    datasets = [d for d in args.datasets.split(",") if d]
    bounds = [b.strip() for b in args.max_features.split(",") if b.strip()]
    for b in bounds:
        if b != "none" and not (b.isdigit() and int(b) > 0):
            ap.error("--max-features: %r is neither a positive integer nor none" % b)
    if args.gigabytes <= 0:
        ap.error("--gigabytes must be positive")
    os.makedirs(args.workdir, exist_ok=True)
    if os.path.realpath(args.workdir).startswith(os.path.realpath(ROOT) + os.sep):
        ap.error("--workdir must be outside the repository")
    for name in datasets:
        for split in ("train", "test"):
            if not os.path.isfile(os.path.join(SHARED, "data", name, split + ".tsv")):
                sys.exit("no such file: %s" % os.path.join(SHARED, "data", name, split + ".tsv"))
    if not os.access(BUILT, os.X_OK):
        sys.exit("no binary at %s: run `swift build -c release` first" % BUILT)
    if not os.access("/usr/bin/time", os.X_OK):
        sys.exit("/usr/bin/time is needed for peak RSS (apt-get install time)")

    with tempfile.TemporaryDirectory(prefix="switchboard-large-") as tmp:
        binary = os.path.join(tmp, "switchboard")
        binary_note = describe_binary(BUILT)
        shutil.copy2(BUILT, binary)
        train_help = subprocess.run([binary, "train", "--help"], capture_output=True, text=True).stdout
        if any(b != "none" for b in bounds) and "--max-features" not in train_help:
            sys.exit("this binary's `train` has no --max-features (see `switchboard train --help`)")
        if args.shard and "--shard" not in train_help:
            sys.exit("this binary's `train` has no --shard")

        target = int(args.gigabytes * 1e9)
        corpus = os.path.join(args.workdir, "corpus-%dB-seed%d-%s.tsv" % (target, args.seed, "+".join(datasets)))
        meta_path = corpus + ".json"
        created = False
        if os.path.isfile(corpus) and os.path.isfile(meta_path):
            with open(meta_path, encoding="utf-8") as f:
                meta = json.load(f)
            log("reusing %s (%d bytes)" % (corpus, meta["bytes"]))
        else:
            log("generating %.3f GB under %s" % (args.gigabytes, args.workdir))
            meta = generate(corpus, target, args.seed, datasets)
            with open(meta_path, "w", encoding="utf-8") as f:
                json.dump(meta, f)
            created = True
        try:
            started = datetime.datetime.now(datetime.timezone.utc)
            load_before = os.getloadavg()[0]
            hyper = hyper_flags(args)
            rows = []
            for b in bounds:
                model = os.path.join(tmp, "model-%s.sbm" % b)
                rss_file = os.path.join(tmp, "rss.txt")
                cmd = [binary, "train"] + (["--shard"] if args.shard else []) + \
                      ([] if b == "none" else ["--max-features", b]) + hyper + \
                      (["--threads", str(args.threads)] if args.threads else []) + ["--output", model, corpus]
                log("$ %s" % " ".join(["switchboard"] + cmd[1:]))
                t0 = time.perf_counter()
                run(["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                seconds = time.perf_counter() - t0
                with open(rss_file) as f:
                    rss_kib = int(f.read().split()[-1])
                info = json.loads(run([binary, "inspect", model, "--json"], capture_output=True, text=True).stdout)
                evals = {}
                for name in datasets:
                    test = os.path.join(SHARED, "data", name, "test.tsv")
                    evals[name] = json.loads(run([binary, "eval", "-m", model, "--json", test], capture_output=True, text=True).stdout)
                rows.append({"bound": b, "seconds": seconds, "rss_kib": rss_kib, "bytes": os.path.getsize(model),
                             "features": info.get("feature_count"), "entries": info.get("entry_count"),
                             "documents": info.get("training", {}).get("documents"), "eval": evals})
                log("  %.1f s, peak RSS %.0f MiB, %s features; %s" % (seconds, rss_kib / 1024, info.get("feature_count"),
                    ", ".join("%s %.4f" % (n, e["accuracy"]) for n, e in evals.items())))
            finished = datetime.datetime.now(datetime.timezone.utc)
        finally:
            if created and not args.keep:
                for p in (corpus, meta_path):
                    if os.path.exists(p):
                        os.unlink(p)

    out = []
    p = out.append
    p("# Training on a large corpus with a bounded vocabulary")
    p("")
    out += report_head("large_corpus.py", sys.argv[1:], started, finished, load_before, os.getloadavg()[0], binary_note)
    p("- corpus: %d bytes, %d labelled lines: %d pass(es) over the %d training examples of %s (pass 0 as is, later passes varied, seed %d)%s" % (
        meta["bytes"], meta["lines"], meta["passes"], meta["base_examples"], ", ".join(datasets), args.seed,
        "" if created else "; reused from an earlier run"))
    p("- `switchboard train%s %s%s`, whole process by wall clock, one run each; peak RSS from `/usr/bin/time -f %%M`" % (
        " --shard" if args.shard else "", " ".join(hyper), " --threads %d" % args.threads if args.threads else " (all cores)"))
    p("")
    head = "| --max-features | seconds | peak RSS (MiB) | model (MiB) | features | documents |" + \
           "".join(" %s accuracy / macro-F1 |" % n for n in datasets)
    p(head)
    p("|" + "---|" * (6 + len(datasets)))
    for r in rows:
        p("| %s | %.1f | %.1f | %.1f | %s | %s |%s" % (
            r["bound"], r["seconds"], r["rss_kib"] / 1024, r["bytes"] / 2**20, r["features"], r["documents"],
            "".join(" %.4f / %.4f |" % (r["eval"][n]["accuracy"], r["eval"][n]["macro_f1"]) for n in datasets)))
    p("")
    print("\n".join(out), flush=True)


if __name__ == "__main__":
    main()
