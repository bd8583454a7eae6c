#!/usr/bin/env python3
"""Benchmark of Switchboard's naive-Bayes engine against the reference classifiers.

Run from the repository root, after `swift build -c release`:

    python3 Benchmarks/engine.py [--datasets banking77,20newsgroups,sms_spam] [--repeat N]

For each dataset in ../shared/data/<name>/{train,test}.tsv (read in place, never copied),
in one run and one process tree, one step after the other (nothing runs concurrently):

 1. the reference baselines, `python3 ../shared/bench/baselines.py --train TRAIN --test TEST
    --json --only ...`: every naive-Bayes baseline, LinearSVC and fastText (the logistic
    regression is left out: it is slow and not compared with here). Their accuracy, fit
    seconds and predict throughput are measured inside that Python process (process start,
    imports and data loading excluded);
 2. `switchboard train -o MODEL TRAIN`, default settings (cross-validated hyperparameter
    search, all cores), the whole process timed by wall clock, N times, median; peak RSS
    from `/usr/bin/time -f %M` (the largest of the N runs); the model's size; the
    cross-validation summary from `switchboard inspect MODEL --json`;
 3. `switchboard eval -m MODEL --json TEST`: accuracy and macro-F1;
 4. `switchboard classify -m MODEL FILE > /dev/null` on the test texts, one a line, replicated
    to at least 50,000 lines in a temporary directory: messages per second of the whole
    process (process start and model load included), median of N runs, with all cores and
    with `--threads 1`;
 5. the model's cost of loading: `switchboard classify -m MODEL --text "..."` against the same
    command with a 4-message model trained here (`--alpha 0.1`), N times (at least 5) each,
    interleaved: the difference of the median peak RSS (`/usr/bin/time -f %M`) is the memory the
    model takes once loaded and compiled (process and runtime start-up cancel out), and the
    difference of the median wall-clock times is its load time.

It prints, as Markdown, the machine, the date, one table per dataset and a summary with the
ratios the engine issue sets as targets:
  - training: sklearn-mnb-count-w12 fit seconds / Switchboard whole-train seconds (target >= 10);
  - classification: Switchboard classify msg/s / sklearn-mnb-count-w12 predict msg/s (target >= 5),
    also against the most accurate naive-Bayes baseline on that dataset and fastText.
Progress goes to standard error, the report to standard output.
"""
import argparse
import datetime
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import benchlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
BASELINES = os.path.join(SHARED, "bench", "baselines.py")
BUILT = os.path.join(ROOT, ".build", "release", "switchboard")
BINARY = BUILT  # replaced by a snapshot in a temporary directory for the run, see main()

NB_BASELINES = [
    "sklearn-mnb-count-w1",
    "sklearn-mnb-count-w12",
    "sklearn-cnb-tfidf-w12",
    "sklearn-cnb-tfidf-w12c25",
    "sklearn-mnb-tfidf-w12c25",
]
REFERENCE = "sklearn-mnb-count-w12"  # the baseline the speed targets are set against
LINSVC = "sklearn-linsvc-tfidf-w12c25"
FASTTEXT = "fasttext-w2-c25-e25"
BASELINE_NAMES = NB_BASELINES + [LINSVC, FASTTEXT]

# Targets of the engine issue.
ACCURACY_TARGETS = {"banking77": 0.90, "20newsgroups": 0.855, "sms_spam": 0.988}
TRAIN_RATIO_TARGET = 10.0
CLASSIFY_RATIO_TARGET = 5.0
CLASSIFY_MIN_LINES = 50_000


def log(msg):
    print("[engine.py %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def run(cmd, **kw):
    """Runs cmd (no time limit), stops the benchmark with its standard error if it fails."""
    return benchlib.run(cmd, None, capture=False, **kw)


def baselines(train, test):
    cmd = [sys.executable, BASELINES, "--train", train, "--test", test, "--json",
           "--only", ",".join(BASELINE_NAMES)]
    out = run(cmd, capture_output=True, text=True).stdout
    rows = {r["name"]: r for r in json.loads(out)["baselines"]}
    missing = [n for n in BASELINE_NAMES if n not in rows]
    if missing:
        log("baselines skipped (not installed?): %s" % ", ".join(missing))
    return rows


def time_train(train, model, repeat, tmp):
    seconds, rss_kb = [], []
    rss_file = os.path.join(tmp, "rss.txt")
    for i in range(repeat):
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file, BINARY, "train", "-o", model, train]
        t0 = time.perf_counter()
        run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seconds.append(time.perf_counter() - t0)
        with open(rss_file) as f:
            rss_kb.append(int(f.read().split()[-1]))
        log("  train run %d/%d: %.3f s, peak RSS %d KB" % (i + 1, repeat, seconds[-1], rss_kb[-1]))
    return seconds, rss_kb


def time_classify(model, path, lines, repeat, threads=None):
    rates = []
    for i in range(repeat):
        cmd = [BINARY, "classify", "-m", model, path]
        if threads:
            cmd += ["--threads", str(threads)]
        t0 = time.perf_counter()
        run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        dt = time.perf_counter() - t0
        rates.append(lines / dt)
        log("  classify%s run %d/%d: %.3f s, %.0f msg/s"
            % (" --threads %d" % threads if threads else "", i + 1, repeat, dt, rates[-1]))
    return rates


def footprint(model, tiny, repeat, tmp):
    """Median peak RSS (KB) and wall seconds of `classify --text` with `model` and with `tiny`, interleaved."""
    rss_file = os.path.join(tmp, "rss-load.txt")
    runs = {model: ([], []), tiny: ([], [])}
    for _ in range(max(repeat, 5)):
        for m in (model, tiny):
            cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file, BINARY, "classify", "-m", m, "--text", "where is my card?"]
            t0 = time.perf_counter()
            run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            runs[m][1].append(time.perf_counter() - t0)
            with open(rss_file) as f:
                runs[m][0].append(int(f.read().split()[-1]))
    med = {m: (statistics.median(r[0]), statistics.median(r[1])) for m, r in runs.items()}
    log("  load: model %d KB %.1f ms, tiny model %d KB %.1f ms (medians)" % (
        med[model][0], med[model][1] * 1e3, med[tiny][0], med[tiny][1] * 1e3))
    return {"model_kb": med[model][0], "tiny_kb": med[tiny][0], "model_s": med[model][1], "tiny_s": med[tiny][1]}


def tiny_model(tmp):
    """A 4-message, 2-label model: the baseline for the model's memory and load time."""
    corpus = os.path.join(tmp, "tiny.tsv")
    with open(corpus, "w", encoding="utf-8") as f:
        f.write("a\thello there friend\na\thi there\nb\tgoodbye now\nb\tsee you later\n")
    path = os.path.join(tmp, "tiny.sbm")
    run([BINARY, "train", "-o", path, "--alpha", "0.1", corpus], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return path


def test_texts(test):
    texts = []
    with open(test, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                texts.append(line.partition("\t")[2])
    return texts


def bench_dataset(name, repeat):
    train = os.path.join(SHARED, "data", name, "train.tsv")
    test = os.path.join(SHARED, "data", name, "test.tsv")
    for path in (train, test):
        if not os.path.isfile(path):
            sys.exit("no such file: %s" % path)
    r = {"name": name, "repeat": repeat}
    log("%s: baselines (%s)" % (name, BASELINES))
    t0 = time.perf_counter()
    r["baselines"] = baselines(train, test)
    log("%s: baselines took %.0f s" % (name, time.perf_counter() - t0))
    with tempfile.TemporaryDirectory(prefix="switchboard-bench-") as tmp:
        model = os.path.join(tmp, "model.sbm")
        log("%s: switchboard train x%d" % (name, repeat))
        r["train_s"], r["train_rss_kb"] = time_train(train, model, repeat, tmp)
        r["model_bytes"] = os.path.getsize(model)
        r["inspect"] = json.loads(run([BINARY, "inspect", model, "--json"], capture_output=True, text=True).stdout)
        r["eval"] = json.loads(run([BINARY, "eval", "-m", model, "--json", test], capture_output=True, text=True).stdout)
        texts = test_texts(test)
        copies = max(1, math.ceil(CLASSIFY_MIN_LINES / len(texts)))
        lines_path = os.path.join(tmp, "messages.txt")
        with open(lines_path, "w", encoding="utf-8") as f:
            block = "\n".join(texts) + "\n"
            for _ in range(copies):
                f.write(block)
        r["classify_lines"] = len(texts) * copies
        r["classify_copies"] = copies
        log("%s: switchboard classify x%d on %d lines" % (name, repeat, r["classify_lines"]))
        r["classify_rates"] = time_classify(model, lines_path, r["classify_lines"], repeat)
        r["classify1_rates"] = time_classify(model, lines_path, r["classify_lines"], repeat, threads=1)
        log("%s: model load footprint" % name)
        r["footprint"] = footprint(model, tiny_model(tmp), repeat, tmp)
    r["train_n"], r["test_n"] = r["inspect"].get("training", {}).get("documents"), len(texts)
    return r


def fmt_ratio(x):
    return "—" if x is None else "%.2f×" % x


def ratio(a, b):
    return a / b if a and b else None


def best_nb(bl):
    present = [bl[n] for n in NB_BASELINES if n in bl]
    return max(present, key=lambda row: row["accuracy"]) if present else None


def report(results, args, started, finished, load_before, load_after):
    out = []
    p = out.append
    p("# Switchboard engine benchmark")
    p("")
    p("- command: `python3 Benchmarks/engine.py --datasets %s --repeat %d`" % (",".join(args.datasets), args.repeat))
    p("- date: %s to %s (UTC)" % (started.strftime("%Y-%m-%d %H:%M:%S"), finished.strftime("%H:%M:%S")))
    p("- machine: %s" % benchlib.machine())
    p("- load average (1 min) before / after: %.2f / %.2f (the machine is shared)" % (load_before, load_after))
    version = subprocess.run([BINARY, "--version"], capture_output=True, text=True).stdout.strip()
    p("- switchboard %s, %s" % (version, args.binary_note))
    p("- Switchboard: default settings, all cores unless `--threads 1`; times are whole processes "
      "(start, corpus or model load, output) by wall clock, median of the runs. Baselines: fit and "
      "predict timed inside baselines.py's one Python process (process start and imports excluded); "
      "fastText trains with 1 thread.")
    p("")
    for r in results:
        bl = r["baselines"]
        ev = r["eval"]
        cv = r["inspect"].get("training", {}).get("cross_validation", {})
        params = r["inspect"].get("parameters", {})
        nb = best_nb(bl)
        p("## %s (train %s, test %d; %d run%s each)" % (r["name"], r["train_n"], r["test_n"], r["repeat"], "" if r["repeat"] == 1 else "s"))
        p("")
        p("| classifier | accuracy | macro-F1 | fit / train s | predict / classify msg/s |")
        p("|---|---|---|---|---|")
        p("| **switchboard** (whole processes) | %.4f | %.4f | %.3f | %.0f (all cores), %.0f (`--threads 1`) |" % (
            ev["accuracy"], ev["macro_f1"], statistics.median(r["train_s"]),
            statistics.median(r["classify_rates"]), statistics.median(r["classify1_rates"])))
        for name in BASELINE_NAMES:
            if name not in bl:
                continue
            row = bl[name]
            mark = " (best NB)" if nb is not None and row is nb else ""
            p("| %s%s | %.4f | %.4f | %.3f | %s |" % (
                name, mark, row["accuracy"], row["macro_f1"], row["fit_s"], row["predict_per_s"]))
        p("")
        p("- switchboard train runs (s): %s; peak RSS %.1f MiB (largest run); model file %.2f MiB (%d bytes)" % (
            ", ".join("%.3f" % s for s in r["train_s"]), max(r["train_rss_kb"]) / 1024,
            r["model_bytes"] / 2**20, r["model_bytes"]))
        p("- cross-validation chose: %s alpha=%s char-weight=%s priors=%s idf=%s sublinear-tf=%s; CV accuracy %.4f, macro-F1 %.4f (%s folds, %d candidates)" % (
            params.get("variant"), params.get("alpha"), params.get("char_weight"),
            "uniform" if params.get("uniform_priors") else "learnt", params.get("idf"), params.get("sublinear_tf"),
            cv.get("accuracy", float("nan")), cv.get("macro_f1", float("nan")), cv.get("folds"), len(cv.get("candidates", []))))
        p("- classify input: the %d test texts x%d = %d lines; runs (msg/s): %s; `--threads 1`: %s" % (
            r["test_n"], r["classify_copies"], r["classify_lines"],
            ", ".join("%.0f" % x for x in r["classify_rates"]), ", ".join("%.0f" % x for x in r["classify1_rates"])))
        fp = r["footprint"]
        p("- model loaded: +%.1f MiB peak RSS and +%.1f ms wall time over the same `classify --text` with a 4-message model "
          "(medians: %.1f vs %.1f MiB, %.1f vs %.1f ms; target: under 10 MB and well under 100 ms)" % (
            (fp["model_kb"] - fp["tiny_kb"]) / 1024, (fp["model_s"] - fp["tiny_s"]) * 1e3,
            fp["model_kb"] / 1024, fp["tiny_kb"] / 1024, fp["model_s"] * 1e3, fp["tiny_s"] * 1e3))
        p("")
    p("## Summary: targets and ratios")
    p("")
    p("Ratios > 1 mean Switchboard is faster. Train ratio = %s fit s / Switchboard whole-train s; "
      "classify ratio = Switchboard classify msg/s / baseline predict msg/s." % REFERENCE)
    p("")
    p("| dataset | accuracy (target) | best NB | LinearSVC | fastText | train vs %s fit (target ≥ %g×) | classify vs %s predict (target ≥ %g×): all cores / 1 thread | classify vs best NB predict | classify vs fastText predict | train peak RSS | model file |"
      % (REFERENCE, TRAIN_RATIO_TARGET, REFERENCE, CLASSIFY_RATIO_TARGET))
    p("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        bl = r["baselines"]
        acc = r["eval"]["accuracy"]
        target = ACCURACY_TARGETS.get(r["name"])
        nb = best_nb(bl)
        ref = bl.get(REFERENCE)
        ft = bl.get(FASTTEXT)
        sv = bl.get(LINSVC)
        train_s = statistics.median(r["train_s"])
        rate = statistics.median(r["classify_rates"])
        rate1 = statistics.median(r["classify1_rates"])
        train_ratio = ratio(ref["fit_s"], train_s) if ref else None
        cls_ratio = ratio(rate, ref["predict_per_s"]) if ref else None
        cls1_ratio = ratio(rate1, ref["predict_per_s"]) if ref else None

        def met(value, goal):
            return "—" if value is None or goal is None else ("met" if value >= goal else "NOT met")
        p("| %s | %.4f (≥ %s: %s) | %s | %s | %s | %s (%s) | %s / %s (%s) | %s / %s | %s / %s | %.1f MiB | %.2f MiB |" % (
            r["name"], acc, target if target is not None else "—", met(acc, target),
            "%.4f %s" % (nb["accuracy"], nb["name"]) if nb else "—",
            "%.4f" % sv["accuracy"] if sv else "—",
            "%.4f" % ft["accuracy"] if ft else "—",
            fmt_ratio(train_ratio), met(train_ratio, TRAIN_RATIO_TARGET),
            fmt_ratio(cls_ratio), fmt_ratio(cls1_ratio), met(cls_ratio, CLASSIFY_RATIO_TARGET),
            fmt_ratio(ratio(rate, nb["predict_per_s"]) if nb else None),
            fmt_ratio(ratio(rate1, nb["predict_per_s"]) if nb else None),
            fmt_ratio(ratio(rate, ft["predict_per_s"]) if ft else None),
            fmt_ratio(ratio(rate1, ft["predict_per_s"]) if ft else None),
            max(r["train_rss_kb"]) / 1024, r["model_bytes"] / 2**20))
    p("")
    p("Classify ratios in the 'vs best NB' and 'vs fastText' columns: all cores / 1 thread.")
    p("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="banking77,20newsgroups,sms_spam",
                    help="comma-separated folders of ../shared/data (default: %(default)s)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each timed switchboard command; the median is reported (default: %(default)s)")
    args = ap.parse_args()
    args.datasets = [d for d in args.datasets.split(",") if d]
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if not os.access(BUILT, os.X_OK):
        sys.exit("no binary at %s: run `swift build -c release` first" % BUILT)
    if not os.path.isfile(BASELINES):
        sys.exit("no baselines script at %s" % BASELINES)
    if not os.access("/usr/bin/time", os.X_OK):
        sys.exit("/usr/bin/time is needed for peak RSS (apt-get install time)")
    global BINARY
    with tempfile.TemporaryDirectory(prefix="switchboard-bin-") as bindir:
        BINARY = os.path.join(bindir, "switchboard")
        args.binary_note = benchlib.describe_binary(BUILT)  # at the time of the snapshot, not at the end of the run
        shutil.copy2(BUILT, BINARY)
        started = datetime.datetime.now(datetime.timezone.utc)
        load_before = os.getloadavg()[0]
        results = [bench_dataset(name, args.repeat) for name in args.datasets]
        finished = datetime.datetime.now(datetime.timezone.utc)
        print(report(results, args, started, finished, load_before, os.getloadavg()[0]), flush=True)


if __name__ == "__main__":
    main()
