#!/usr/bin/env python3
"""How `switchboard train` scales from one core to two, and sharded training then merge.

Run from the repository root, after `swift build -c release`:

    python3 Benchmarks/train_scaling.py [--dataset 20newsgroups] [--repeat 3] [--shards 2] [--fixed]

With a copy of the binary taken at the start, on ../shared/data/DATASET/train.tsv (read in
place), in a temporary directory outside the repository (deleted at the end):

 1. `switchboard train --threads 1 --created-at 0 -o M1 TRAIN` and the same with `--threads 2`,
    interleaved (1, 2, 1, 2, ...), N runs each (default 3): each whole process by wall clock,
    peak RSS from `/usr/bin/time -f %M`; the medians and the speed-up, median(1 thread) /
    median(2 threads) (target >= 1.7 on 2 cores). Default settings (the cross-validated
    hyperparameter search, calibration), or with --fixed the explicit hyperparameters below
    (then only the one candidate is cross-validated, for calibration). Also whether the two
    models are the same bytes (they should: threads must not change the model).
 2. Unless --skip-shards: with the explicit hyperparameters (--alpha,
    --variant, --char-weight, --priors, --idf; defaults are what cross-validation chose for
    20newsgroups), interleaved, N runs each:
      a. `switchboard train --shard --threads 1 -o whole.sbm TRAIN` (statistics only: no
         cross-validation, no calibration);
      b. the same with `--threads 2`;
      c. TRAIN cut into --shards files of contiguous lines (made once, before timing), one
         `switchboard train --shard --threads 1` process per file, all started at once, then
         `switchboard merge -o merged.sbm SHARDS`: the wall clock from the first start to the end
         of the merge, and of the merge alone.
    Then the labels that whole.sbm (a) and merged.sbm (c) give the test texts
    (`switchboard classify`), compared line by line: the agreement must be 1.0.

Nothing else should run on the machine: the figures are only meaningful on idle cores. Prints a
Markdown report (standard output; progress on standard error) with the machine and the date.
"""
import argparse
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from benchlib import logger, add_hyperparameter_arguments, hyper_flags, med, describe_binary, report_head

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
BUILT = os.path.join(ROOT, ".build", "release", "switchboard")
SPEEDUP_TARGET = 1.7
TIMEOUT = 3600
log = logger("train_scaling.py")



def check(proc, cmd):
    if proc.returncode != 0:
        err = proc.stderr if isinstance(proc.stderr, str) else (proc.stderr or b"").decode("utf-8", "replace")
        sys.exit("command failed (%d): %s\n%s" % (proc.returncode, " ".join(cmd), err[-4000:]))
    return proc


def timed_rss(cmd, tmp):
    """Wall seconds and peak RSS (KiB) of one process."""
    rss_file = os.path.join(tmp, "rss.txt")
    full = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd
    t0 = time.perf_counter()
    proc = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    seconds = time.perf_counter() - t0
    check(proc, cmd)
    with open(rss_file) as f:
        return seconds, int(f.read().split()[-1])


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()



def split_contiguous(train, k, tmp):
    with open(train, encoding="utf-8") as f:
        lines = [l for l in f if l.strip()]
    paths = []
    for i in range(k):
        part = lines[len(lines) * i // k: len(lines) * (i + 1) // k]
        path = os.path.join(tmp, "part-%02d.tsv" % i)
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(part)
        paths.append(path)
    return paths, len(lines)


def sharded_run(binary, parts, flags, tmp):
    """All shard processes at once, then merge; returns (total s, shard phase s, merge s, merged path)."""
    outs = [os.path.join(tmp, "shard-%02d.sbm" % i) for i in range(len(parts))]
    merged = os.path.join(tmp, "merged.sbm")
    t0 = time.perf_counter()
    procs = []
    for part, out in zip(parts, outs):
        cmd = [binary, "train", "--shard", "--threads", "1"] + flags + ["--output", out, part]
        procs.append((cmd, subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)))
    for cmd, p in procs:
        _, err = p.communicate(timeout=TIMEOUT)
        p.stderr = err
        check(p, cmd)
    t1 = time.perf_counter()
    cmd = [binary, "merge", "--output", merged] + outs
    check(subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT), cmd)
    t2 = time.perf_counter()
    return t2 - t0, t1 - t0, t2 - t1, merged


def labels(binary, model, texts_file):
    cmd = [binary, "classify", "-m", model, texts_file]
    out = check(subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT), cmd).stdout
    return [json.loads(l)["label"] for l in out.splitlines() if l.strip()]



def runs(xs):
    return ", ".join("%.2f" % x for x in xs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="20newsgroups", help="folder of ../shared/data (default: %(default)s)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each configuration (default: %(default)s)")
    ap.add_argument("--shards", type=int, default=2, help="shard processes in part 2 (default: %(default)s)")
    ap.add_argument("--fixed", action="store_true", help="part 1 with the explicit hyperparameters instead of the search")
    add_hyperparameter_arguments(ap)
    ap.add_argument("--skip-threads", action="store_true", help="leave out part 1")
    ap.add_argument("--skip-shards", action="store_true", help="leave out part 2")
    args = ap.parse_args()
    if args.repeat < 1 or args.shards < 1:
        ap.error("--repeat and --shards must be at least 1")
    train = os.path.join(SHARED, "data", args.dataset, "train.tsv")
    test = os.path.join(SHARED, "data", args.dataset, "test.tsv")
    for path in (train, test):
        if not os.path.isfile(path):
            sys.exit("no such file: %s" % path)
    if not os.access(BUILT, os.X_OK):
        sys.exit("no binary at %s: run `swift build -c release` first" % BUILT)
    if not os.access("/usr/bin/time", os.X_OK):
        sys.exit("/usr/bin/time is needed for peak RSS (apt-get install time)")

    with tempfile.TemporaryDirectory(prefix="switchboard-scaling-") as tmp:
        binary = os.path.join(tmp, "switchboard")
        binary_note = describe_binary(BUILT)
        shutil.copy2(BUILT, binary)
        started = datetime.datetime.now(datetime.timezone.utc)
        load_before = os.getloadavg()[0]

        threads = None
        if not args.skip_threads:
            threads = {1: [], 2: []}
            rss = {1: [], 2: []}
            models = {t: os.path.join(tmp, "threads-%d.sbm" % t) for t in (1, 2)}
            extra = hyper_flags(args) if args.fixed else []
            for i in range(args.repeat):
                for t in (1, 2):
                    cmd = [binary, "train", "--threads", str(t), "--created-at", "0"] + extra + ["--output", models[t], train]
                    s, kib = timed_rss(cmd, tmp)
                    threads[t].append(s)
                    rss[t].append(kib)
                    log("train --threads %d, run %d/%d: %.2f s, %d KiB" % (t, i + 1, args.repeat, s, kib))
            same_model = sha256(models[1]) == sha256(models[2])

        sharded = None
        if not args.skip_shards:
            flags = hyper_flags(args)
            parts, nrows = split_contiguous(train, args.shards, tmp)
            sharded = {"whole1": [], "whole2": [], "total": [], "phase": [], "merge": []}
            whole = os.path.join(tmp, "whole.sbm")
            for i in range(args.repeat):
                for t, key in ((1, "whole1"), (2, "whole2")):
                    cmd = [binary, "train", "--shard", "--threads", str(t)] + flags + ["--output", whole, train]
                    s, _ = timed_rss(cmd, tmp)
                    sharded[key].append(s)
                    log("train --shard --threads %d, run %d/%d: %.2f s" % (t, i + 1, args.repeat, s))
                total, phase, merge_s, merged = sharded_run(binary, parts, flags, tmp)
                sharded["total"].append(total)
                sharded["phase"].append(phase)
                sharded["merge"].append(merge_s)
                log("%d shards + merge, run %d/%d: %.2f s (merge %.2f s)" % (args.shards, i + 1, args.repeat, total, merge_s))
            texts_file = os.path.join(tmp, "test-texts.txt")
            with open(test, encoding="utf-8") as f, open(texts_file, "w", encoding="utf-8") as w:
                for line in f:
                    if line.strip():
                        w.write(line.rstrip("\n").partition("\t")[2] + "\n")
            a, b = labels(binary, whole, texts_file), labels(binary, merged, texts_file)
            sharded["agree"] = sum(1 for x, y in zip(a, b) if x == y)
            sharded["n"] = len(a)
            sharded["lengths_ok"] = len(a) == len(b)
            sharded["rows"] = nrows
        finished = datetime.datetime.now(datetime.timezone.utc)

        out = []
        p = out.append
        p("# Training: threads and shards")
        p("")
        out += report_head("train_scaling.py", sys.argv[1:], started, finished, load_before, os.getloadavg()[0], binary_note)
        p("- corpus: %s; whole processes by wall clock, median of %d interleaved run%s" % (
            os.path.relpath(train, ROOT), args.repeat, "" if args.repeat == 1 else "s"))
        p("")
        if threads:
            p("## `switchboard train`, 1 thread against 2 (%s)" % (
                "`%s`" % " ".join(hyper_flags(args)) if args.fixed else "default settings: cross-validated search and calibration"))
            p("")
            p("| threads | seconds (median) | runs (s) | peak RSS (MiB, largest) |")
            p("|---|---|---|---|")
            for t in (1, 2):
                p("| %d | %.2f | %s | %.1f |" % (t, med(threads[t]), runs(threads[t]), max(rss[t]) / 1024))
            speedup = med(threads[1]) / med(threads[2])
            p("")
            p("- **speed-up 1 → 2 threads: %.2fx** (target ≥ %.1f: %s)" % (speedup, SPEEDUP_TARGET, "met" if speedup >= SPEEDUP_TARGET else "NOT met"))
            p("- the two models are the same bytes (`--created-at 0`): %s" % ("yes" if same_model else "NO"))
            p("")
        p("## Sharded statistics then merge (`%s`)" % " ".join(hyper_flags(args)))
        p("")
        if sharded is None:
            p("Not run: the binary has no `merge` command.")
        else:
            p("| what | seconds (median) | runs (s) |")
            p("|---|---|---|")
            p("| `train --shard --threads 1` on all %d rows | %.2f | %s |" % (sharded["rows"], med(sharded["whole1"]), runs(sharded["whole1"])))
            p("| `train --shard --threads 2` on all %d rows | %.2f | %s |" % (sharded["rows"], med(sharded["whole2"]), runs(sharded["whole2"])))
            p("| %d × `train --shard --threads 1` at once, then `merge` | %.2f | %s |" % (args.shards, med(sharded["total"]), runs(sharded["total"])))
            p("| of which the shards | %.2f | %s |" % (med(sharded["phase"]), runs(sharded["phase"])))
            p("| of which `merge` | %.2f | %s |" % (med(sharded["merge"]), runs(sharded["merge"])))
            p("")
            p("- speed-up against `--shard --threads 1`: `--threads 2` %.2fx; %d shards + merge %.2fx" % (
                med(sharded["whole1"]) / med(sharded["whole2"]), args.shards, med(sharded["whole1"]) / med(sharded["total"])))
            p("- **merged model against the whole-corpus model, labels of the %d test texts: %d agree (%.4f)%s**" % (
                sharded["n"], sharded["agree"], sharded["agree"] / max(1, sharded["n"]),
                "" if sharded["lengths_ok"] else "; the two classify outputs have different lengths"))
        p("")
        print("\n".join(out), flush=True)


if __name__ == "__main__":
    main()
