#!/usr/bin/env python3
"""The Spark examples (examples/spark/) in local mode: sharded training and partitioned batch.

Run from the repository root, after `swift build -c release` (and `python3 -m pip install pyspark`
once; Java 17 must be installed):

    python3 Benchmarks/spark.py [--dataset 20newsgroups] [--partitions 4] [--master 'local[2]']
                                [--messages 200000] [--repeat 1]
                                [--alpha 0.01 --variant complement --char-weight 0.25 --priors uniform --idf off]

In one run, in a temporary directory outside the repository (deleted at the end), with copies
of the binary, model and policy taken at the start, one step after the other:

 1. Training (unless --skip-train):
    a. `switchboard train --alpha A --variant V --char-weight W --priors P --idf X -o single.sbm TRAIN`
       (TRAIN = ../shared/data/DATASET/train.tsv, read in place; the same explicit hyperparameters
       for every model, so no search), the whole process by wall clock (all cores), median of N;
    b. `python3 examples/spark/train_shards.py --master MASTER --partitions K --switchboard BIN
       (same hyperparameters) -o merged.sbm TRAIN`: K partitions of contiguous lines (the
       datasets are sorted by label, so each shard holds only some labels), each `train --shard
       --threads 1`, then `merge`; the whole process by wall clock (JVM and Spark start
       included), median of N, with the job's own split: shard stage, transfer, merge;
    c. both models on TEST (../shared/data/DATASET/test.tsv): accuracy and macro-F1 from
       `switchboard eval --json`, and the labels of `switchboard classify` on the test texts
       compared line by line: the agreement (must be 1.0: merging the shards' statistics must
       give the model trained on all the rows at once), plus the feature and entry counts of
       `switchboard inspect --json`. (The single process also cross-validates its one candidate
       to calibrate the model; shards and merge do not calibrate: the times are not like for like.)
 2. Batch: a JSONL inbox under the temporary directory, `{"id": "N", "text": ...}` a line, the
    test texts of --batch-dataset (default banking77: short customer messages) replicated to
    --messages lines (default 200,000) with --bad-lines malformed lines spread through it (so
    that error records are counted too);
    a. `switchboard batch -m models/default.sbm -p models/policy.yaml -o single.jsonl INBOX`, the
       whole process (all cores), median of N;
    b. `python3 examples/spark/batch_partitions.py --master MASTER --partitions K -m ... -p ...
       --single-file -o spark.jsonl INBOX`, whole process, median of N, with the job's own
       split (line count, routing, writing);
    c. the counts the job checked (input records = decision records + error records) and whether
       its output is byte for byte the single process's (it must be: the job rewrites each
       record's source to INBOX:LINE).

Spark runs with the master given (default local[2]: two tasks at once, each switchboard process
with --threads 1), against single processes that use every core. Prints a Markdown report
(standard output; progress on standard error) with the machine, the date and the ratios.
"""
import argparse
import datetime
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

from benchlib import logger, add_hyperparameter_arguments, hyper_flags, med, describe_binary, report_head, run as run_checked

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
BUILT = os.path.join(ROOT, ".build", "release", "switchboard")
MODEL = os.path.join(ROOT, "models", "default.sbm")
POLICY = os.path.join(ROOT, "models", "policy.yaml")
TRAIN_SHARDS = os.path.join(ROOT, "examples", "spark", "train_shards.py")
BATCH_PARTITIONS = os.path.join(ROOT, "examples", "spark", "batch_partitions.py")
TIMEOUT = 3600  # seconds, any one command


def run(cmd, **kw):
    return run_checked(cmd, TIMEOUT, capture=True, **kw)
log = logger("spark.py")



def timed(cmd, **kw):
    t0 = time.perf_counter()
    proc = run(cmd, **kw)
    return time.perf_counter() - t0, proc



def read_tsv(path):
    labels, texts = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                label, _, text = line.partition("\t")
                labels.append(label)
                texts.append(text)
    return labels, texts


def classify_labels(binary, model, texts_file):
    out = run([binary, "classify", "-m", model, texts_file], text=True).stdout
    return [json.loads(line)["label"] for line in out.splitlines() if line.strip()]


def evaluate(binary, model, test):
    return json.loads(run([binary, "eval", "-m", model, "--json", test], text=True).stdout)


def inspect(binary, model):
    return json.loads(run([binary, "inspect", model, "--json"], text=True).stdout)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def make_inbox(path, texts, messages, bad_lines):
    """texts replicated to `messages` lines, with `bad_lines` malformed lines spread evenly."""
    bad_at = set(range(messages // (bad_lines + 1), messages, messages // (bad_lines + 1))) if bad_lines else set()
    bad_at = set(sorted(bad_at)[:bad_lines])
    kinds = ['{"id": "%d", "text": ""}', '{"id": "%d"}', '{"id": "%d", "text": 42}', 'not JSON %d']
    with open(path, "w", encoding="utf-8") as f:
        for i in range(messages):
            if i in bad_at:
                f.write(kinds[i % len(kinds)] % i + "\n")
            else:
                f.write('{"id": "%d", "text": %s}\n' % (i, json.dumps(texts[i % len(texts)], ensure_ascii=False)))
    return len(bad_at)



def bench_train(args, binary, tmp):
    train = os.path.join(SHARED, "data", args.dataset, "train.tsv")
    test = os.path.join(SHARED, "data", args.dataset, "test.tsv")
    r = {"train": train, "test": test}
    single = os.path.join(tmp, "single.sbm")
    merged = os.path.join(tmp, "merged.sbm")
    report = os.path.join(tmp, "train-report.json")
    r["single_s"], r["spark_s"], r["reports"] = [], [], []
    for i in range(args.repeat):
        log("train %d/%d: single process" % (i + 1, args.repeat))
        s, _ = timed([binary, "train"] + hyper_flags(args) + ["--output", single, train])
        r["single_s"].append(s)
        log("  %.2f s; Spark (%s, %d partitions)" % (s, args.master, args.partitions))
        cmd = [sys.executable, TRAIN_SHARDS, "--master", args.master, "--partitions", str(args.partitions),
               "--switchboard", binary] + hyper_flags(args) + ["--output", merged, "--report", report, train]
        if args.spread:
            cmd.insert(2, "--spread")
        s, _ = timed(cmd)
        r["spark_s"].append(s)
        with open(report, encoding="utf-8") as f:
            r["reports"].append(json.load(f))
        log("  %.2f s" % s)
    _, texts = read_tsv(test)
    texts_file = os.path.join(tmp, "test-texts.txt")
    with open(texts_file, "w", encoding="utf-8") as f:
        f.write("\n".join(texts) + "\n")
    a = classify_labels(binary, single, texts_file)
    b = classify_labels(binary, merged, texts_file)
    if len(a) != len(texts) or len(b) != len(texts):
        sys.exit("classify returned %d and %d labels for %d texts" % (len(a), len(b), len(texts)))
    r["test_n"] = len(texts)
    r["agree"] = sum(1 for x, y in zip(a, b) if x == y)
    r["eval_single"], r["eval_merged"] = evaluate(binary, single, test), evaluate(binary, merged, test)
    r["inspect_single"], r["inspect_merged"] = inspect(binary, single), inspect(binary, merged)
    r["bytes_single"], r["bytes_merged"] = os.path.getsize(single), os.path.getsize(merged)
    return r


def bench_batch(args, binary, model, policy, tmp):
    _, texts = read_tsv(os.path.join(SHARED, "data", args.batch_dataset, "test.tsv"))
    inbox = os.path.join(tmp, "inbox.jsonl")
    r = {"bad": make_inbox(inbox, texts, args.messages, args.bad_lines), "base_texts": len(texts),
         "messages": args.messages, "bytes": os.path.getsize(inbox)}
    log("batch: %d lines (%d malformed), %.1f MB" % (args.messages, r["bad"], r["bytes"] / 1e6))
    single = os.path.join(tmp, "batch-single.jsonl")
    spark = os.path.join(tmp, "batch-spark.jsonl")
    report = os.path.join(tmp, "batch-report.json")
    r["single_s"], r["spark_s"], r["reports"] = [], [], []
    for i in range(args.repeat):
        log("batch %d/%d: single process" % (i + 1, args.repeat))
        s, proc = timed([binary, "batch", "-m", model, "-p", policy, "-o", single, inbox], text=True)
        r["single_s"].append(s)
        r["single_summary"] = next((l for l in proc.stderr.splitlines() if l.startswith("read ")), "")
        log("  %.2f s; Spark (%s, %d partitions)" % (s, args.master, args.partitions))
        cmd = [sys.executable, BATCH_PARTITIONS, "--master", args.master, "--partitions", str(args.partitions),
               "--switchboard", binary, "-m", model, "-p", policy, "--single-file", "--overwrite", "-o", spark,
               "--report", report, inbox]
        s, _ = timed(cmd)
        r["spark_s"].append(s)
        with open(report, encoding="utf-8") as f:
            r["reports"].append(json.load(f))
        log("  %.2f s" % s)
    with open(single, "rb") as f:
        r["single_records"] = sum(1 for _ in f)
    r["identical"] = sha256(single) == sha256(spark)
    return r



def report(args, tr, br, started, finished, load_before, load_after, binary_note):
    out = []
    p = out.append
    p("# Spark examples benchmark (local mode)")
    p("")
    out += report_head("spark.py", args.argv, started, finished, load_before, load_after, binary_note)
    import pyspark
    p("- PySpark %s, master %s" % (pyspark.__version__, args.master))
    p("- every time is a whole process by wall clock (the Spark jobs' include starting the JVM and Spark), median of %d run%s"
      % (args.repeat, "" if args.repeat == 1 else "s"))
    p("")
    p("## Sharded training: %s, %d partitions%s" % (args.dataset, args.partitions, " (--spread)" if args.spread else ""))
    p("")
    if tr is None:
        p("Not run: --skip-train.")
    else:
        es, em = tr["eval_single"], tr["eval_merged"]
        isg, imr = tr["inspect_single"], tr["inspect_merged"]
        rep = tr["reports"][-1]
        p("Hyperparameters for both: `%s`." % " ".join(hyper_flags(args)))
        p("")
        p("| model | how | seconds (median) | runs (s) | test accuracy | macro-F1 | features | entries | file bytes |")
        p("|---|---|---|---|---|---|---|---|---|")
        p("| single process | `switchboard train` (all cores) | %.2f | %s | %.4f | %.4f | %s | %s | %d |" % (
            med(tr["single_s"]), ", ".join("%.2f" % s for s in tr["single_s"]), es["accuracy"], es["macro_f1"],
            isg.get("feature_count"), isg.get("entry_count"), tr["bytes_single"]))
        p("| merged shards | train_shards.py, %s, %d × `train --shard --threads 1` + `merge` | %.2f | %s | %.4f | %.4f | %s | %s | %d |" % (
            args.master, args.partitions, med(tr["spark_s"]), ", ".join("%.2f" % s for s in tr["spark_s"]), em["accuracy"],
            em["macro_f1"], imr.get("feature_count"), imr.get("entry_count"), tr["bytes_merged"]))
        p("")
        p("- **agreement on the %d test texts: %d / %d = %.4f** (%s)" % (
            tr["test_n"], tr["agree"], tr["test_n"], tr["agree"] / tr["test_n"],
            "identical labels" if tr["agree"] == tr["test_n"] else "NOT identical: the merged model differs"))
        p("- Spark job split (last run): shard stage %.2f s (shards: %s), transfer %.2f s, merge %.2f s, job total %.2f s; "
          "Spark job / single process, whole processes: %.2fx the time" % (
              rep["shard_stage_seconds"], ", ".join("%d rows %.2f s" % (s["rows"], s["seconds"]) for s in rep["shards"]),
              rep["collect_seconds"], rep["merge_seconds"], rep["total_seconds"], med(tr["spark_s"]) / med(tr["single_s"])))
        p("- model parameters: single %s; merged %s" % (json.dumps(isg.get("parameters"), sort_keys=True),
                                                       json.dumps(imr.get("parameters"), sort_keys=True)))
    p("")
    p("## Partitioned batch" + ("" if br is None else ": %d messages, %d partitions" % (args.messages, args.partitions)))
    p("")
    if br is None:
        p("Not run: --skip-batch.")
    else:
        rep = br["reports"][-1]
        t = rep["totals"]
        p("Inbox: the %d test texts of %s replicated to %d lines (%d malformed), %.1f MB; model models/default.sbm, policy models/policy.yaml (copies)." % (
            br["base_texts"], args.batch_dataset, br["messages"], br["bad"], br["bytes"] / 1e6))
        p("")
        p("| system | how | seconds (median) | runs (s) | messages/s |")
        p("|---|---|---|---|---|")
        p("| single process | `switchboard batch -o FILE` (all cores) | %.2f | %s | %.0f |" % (
            med(br["single_s"]), ", ".join("%.2f" % s for s in br["single_s"]), br["messages"] / med(br["single_s"])))
        p("| Spark | batch_partitions.py --single-file, %s, %d × `batch --threads 1` | %.2f | %s | %.0f |" % (
            args.master, rep["partitions"], med(br["spark_s"]), ", ".join("%.2f" % s for s in br["spark_s"]),
            br["messages"] / med(br["spark_s"])))
        p("")
        p("- counts checked by the job: %d input records = %d decision records + %d error records%s (%d malformed lines were planted); %d records written" % (
            t["records"], t["decisions"], t["errors"], " + %d skipped" % t["skipped"] if t["skipped"] else "", br["bad"], rep["written"]))
        p("- single process: %s; %d records" % (br["single_summary"], br["single_records"]))
        p("- **Spark output identical to the single process's, byte for byte: %s**" % ("yes" if br["identical"] else "NO"))
        p("- Spark job split (last run): line count %.2f s, routing stage %.2f s, writing %.2f s, job total %.2f s; "
          "Spark job / single process, whole processes: %.2fx the time" % (
              rep["count_seconds"], rep["batch_seconds"], rep["write_seconds"], rep["total_seconds"],
              med(br["spark_s"]) / med(br["single_s"])))
    p("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="20newsgroups", help="folder of ../shared/data to train on (default: %(default)s)")
    ap.add_argument("--partitions", type=int, default=4, help="Spark partitions of both jobs (default: %(default)s)")
    ap.add_argument("--master", default="local[2]", help="Spark master (default: %(default)s)")
    ap.add_argument("--spread", action="store_true", help="train_shards.py --spread (round-robin rows instead of contiguous runs)")
    add_hyperparameter_arguments(ap)
    ap.add_argument("--batch-dataset", default="banking77", help="whose test texts make the inbox (default: %(default)s)")
    ap.add_argument("--messages", type=int, default=200_000, help="lines of the inbox (default: %(default)s)")
    ap.add_argument("--bad-lines", type=int, default=10, help="malformed lines planted in the inbox (default: %(default)s)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each timed command; the median is reported (default: %(default)s)")
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--skip-batch", action="store_true")
    args = ap.parse_args()
    args.argv = sys.argv[1:]
    if args.repeat < 1 or args.partitions < 1 or args.messages < 1:
        ap.error("--repeat, --partitions and --messages must be at least 1")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        sys.exit("PySpark is not installed: python3 -m pip install pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        sys.exit("Spark needs Java (17): no java on PATH and no JAVA_HOME")
    if not os.access(BUILT, os.X_OK):
        sys.exit("no binary at %s: run `swift build -c release` first" % BUILT)
    for name in (args.dataset, args.batch_dataset):
        for split in ("train", "test"):
            if not os.path.isfile(os.path.join(SHARED, "data", name, split + ".tsv")):
                sys.exit("no such file: %s" % os.path.join(SHARED, "data", name, split + ".tsv"))
    with tempfile.TemporaryDirectory(prefix="switchboard-spark-bench-") as tmp:
        binary = os.path.join(tmp, "switchboard")
        binary_note = describe_binary(BUILT)
        shutil.copy2(BUILT, binary)
        model = os.path.join(tmp, "default.sbm")
        policy = os.path.join(tmp, "policy.yaml")
        shutil.copy2(MODEL, model)
        shutil.copy2(POLICY, policy)
        started = datetime.datetime.now(datetime.timezone.utc)
        load_before = os.getloadavg()[0]
        tr = None if args.skip_train else bench_train(args, binary, tmp)
        br = None if args.skip_batch else bench_batch(args, binary, model, policy, tmp)
        finished = datetime.datetime.now(datetime.timezone.utc)
        print(report(args, tr, br, started, finished, load_before, os.getloadavg()[0], binary_note), flush=True)
        ok = (tr is None or tr["agree"] == tr["test_n"]) and (br is None or br["identical"])
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
