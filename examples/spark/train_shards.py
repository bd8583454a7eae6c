#!/usr/bin/env python3
"""Trains one Switchboard model from a large labelled corpus with Spark: shards, then merge.

    spark-submit examples/spark/train_shards.py --output MODEL.sbm [options] INPUT
    python3 examples/spark/train_shards.py --master 'local[2]' --output MODEL.sbm [options] INPUT

INPUT is a line-based labelled corpus that Spark can read (a local path in local mode; an
hdfs://, s3a:// or other shared path on a cluster; a directory, a glob or a .gz file also work):
TSV (`label<TAB>text`), JSONL (`{"label": ..., "text": ...}`) or fastText (`__label__x text`).

1. Spark reads INPUT into exactly --partitions partitions (adjacent input splits are merged
   without a shuffle, so each partition is a contiguous run of lines in input order; with
   --spread, line i goes to partition i mod N instead, through a shuffle, for corpora sorted by
   label). A shard may hold only some of the labels: merging unites them.
2. Each partition (mapPartitionsWithIndex, on whichever executor runs it) writes its rows to a
   temporary file in the executor's local directory and runs
       switchboard train --shard --output shard.sbm --format F --threads T
                         [--parameters-from P] [hyperparameter flags] rows-file
   which counts the sufficient statistics of those rows only (no cross-validation, no
   calibration). The task returns the shard model's bytes, not a path, so this works when the
   executors are other machines. A failing shard is reported by partition with its stderr.
3. The driver writes the shard models to a temporary directory and runs
       switchboard merge --output MODEL.sbm [--parameters-from P] [hyperparameter flags]
                         [--calibrate HELD-OUT ...] shard-00000.sbm ...
   which adds up their statistics into one model (written atomically by switchboard). Shards
   are not calibrated: the merged model is calibrated on --calibrate's held-out data (files on
   the driver), else carries --parameters-from's calibration, else has none (switchboard warns;
   confidences are then raw posteriors and there is no abstention threshold).

Hyperparameters come from the flags given here (--alpha, --variant, --char-weight, --priors,
--idf, and any other `train` flag through --train-arg=...), else from --parameters-from MODEL (a
model trained earlier, for example by a plain `switchboard train` on a sample, whose
cross-validated settings are reused), else switchboard's defaults. Every shard gets the same
flags, so every shard has the same feature settings, which merging requires.

The switchboard binary must exist at the same path on every executor (--switchboard, default
`switchboard` on PATH), or be shipped with the job by --ship-binary (a copy of the driver's
binary goes to each executor through SparkContext.addFile; it must then be able to run there, for
example built with `swift build -c release --static-swift-stdlib`). --parameters-from is shipped
to the executors the same way. Each shard runs with --threads equal to spark.task.cpus (1 unless
configured) so that concurrent tasks do not oversubscribe the cores; --threads overrides it.

Progress goes to standard error; a summary to standard output; --report FILE also writes it as
JSON (used by Benchmarks/spark.py). Exit status 0 on success, 1 when a shard or the merge fails,
2 on bad arguments.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

MAGIC = b"SWBDMODL"
FORMAT_BY_EXTENSION = {".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
                       ".json": "jsonl", ".ft": "fasttext", ".fasttext": "fasttext"}
COMPRESSION = (".gz", ".bz2", ".deflate", ".zst", ".lz4", ".snappy")
STDERR_LIMIT = 4000  # characters of a failing command's stderr carried back to the driver


def log(msg):
    print("[train_shards %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def guess_format(path):
    """tsv, jsonl or fasttext from the input's extension (after any compression suffix)."""
    name = path.rstrip("/").lower()
    for suffix in COMPRESSION:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return FORMAT_BY_EXTENSION.get(os.path.splitext(name)[1])


def local_dir():
    """A scratch directory on the machine running this task: Spark's local dirs, else TMPDIR."""
    for var in ("SPARK_LOCAL_DIRS", "LOCAL_DIRS"):
        for d in (os.environ.get(var) or "").split(","):
            if d and os.path.isdir(d) and os.access(d, os.W_OK):
                return d
    return None  # tempfile's default


def executor_binary(binary, shipped_name):
    """The switchboard binary to run in this task."""
    if shipped_name:
        from pyspark import SparkFiles
        path = SparkFiles.get(shipped_name)
        if not os.access(path, os.X_OK):
            os.chmod(path, os.stat(path).st_mode | 0o755)
        return path
    return binary


def tail(text, limit=STDERR_LIMIT):
    text = text.strip()
    return text if len(text) <= limit else "...\n" + text[-limit:]


def make_shard_task(binary, shipped_name, fmt, train_flags, parameters_name, threads):
    """The function each partition runs; returns one result dict per partition, never raises."""

    def shard(index, rows):
        started = time.time()
        result = {"partition": index, "rows": 0, "lines": 0, "model": None, "seconds": 0.0, "error": None,
                  "stderr": None, "host": os.uname().nodename}
        workdir = None
        try:
            workdir = tempfile.mkdtemp(prefix="switchboard-shard-%05d-" % index, dir=local_dir())
            data = os.path.join(workdir, "rows." + fmt)
            out = os.path.join(workdir, "shard.sbm")
            n = lines = 0
            with open(data, "w", encoding="utf-8", newline="\n") as f:
                for row in rows:  # blank lines too (switchboard skips them), so that line K of the file is row K
                    f.write(row)
                    f.write("\n")
                    lines += 1
                    if row.strip(" \t\r"):
                        n += 1
            result["rows"], result["lines"] = n, lines
            if n == 0:
                return [result]  # an empty partition gives no shard
            cmd = [executor_binary(binary, shipped_name), "train", "--shard", "--output", out,
                   "--format", fmt, "--threads", str(threads)]
            if parameters_name:
                from pyspark import SparkFiles
                cmd += ["--parameters-from", SparkFiles.get(parameters_name)]
            cmd += train_flags + [data]
            try:
                proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            except OSError as e:
                result["error"] = "cannot run %s: %s" % (cmd[0], e)
                return [result]
            if proc.returncode != 0:
                result["error"] = "`switchboard train --shard` exited with status %d" % proc.returncode
                result["stderr"] = tail(proc.stderr.decode("utf-8", "replace"))
                return [result]
            with open(out, "rb") as f:
                model = f.read()
            if not model.startswith(MAGIC):
                result["error"] = "`switchboard train --shard` exited 0 but %s is not a model file (%d bytes)" % (out, len(model))
                return [result]
            result["model"] = model
            return [result]
        except Exception as e:  # reported by partition on the driver rather than retried
            result["error"] = "%s: %s" % (type(e).__name__, e)
            return [result]
        finally:
            result["seconds"] = time.time() - started
            if workdir:
                shutil.rmtree(workdir, ignore_errors=True)

    return shard


def hyperparameter_flags(args):
    flags = []
    for name in ("alpha", "variant", "char_weight", "priors", "idf", "max_features", "text_field", "label_field"):
        value = getattr(args, name)
        if value is not None:
            flags += ["--" + name.replace("_", "-"), str(value)]
    if args.skip_invalid:
        flags.append("--skip-invalid")
    return flags + list(args.train_arg)


def merge_flags(args):
    """The hyperparameters given (the same as the shards'), calibration data, any --merge-arg."""
    flags = []
    for name in ("alpha", "variant", "char_weight", "priors", "idf", "target_precision"):
        value = getattr(args, name)
        if value is not None:
            flags += ["--" + name.replace("_", "-"), str(value)]
    for path in args.calibrate:
        flags += ["--calibrate", path]
    return flags + list(args.merge_arg)


ROWS_FILE = re.compile(r"\S*/switchboard-shard-\d+-[^/\s]*/rows\.[a-z]+:(\d+)")


def input_lines(args, n, summaries, splits):
    """A function (partition, line K of its rows file) -> where that line is in the input, for errors."""
    lines = {r["partition"]: r["lines"] for r in summaries}
    first, total = {}, 0
    for p in range(n):
        first[p] = total
        total += lines.get(p, 0)

    def where(p, k):
        if args.spread:
            return "%s line %d" % (args.input, p + (k - 1) * n + 1)  # line i of the input went to partition i mod n
        if splits >= n:  # contiguous runs of lines, in input order
            return "%s line %d" % (args.input, first[p] + k)
        return "line %d of partition %d" % (k, p)  # reshuffled: the input line is not known
    return where


def spread_partitions(rdd, n):
    """n partitions, line i of the input going to partition i mod n, in input order within each."""
    return (rdd.zipWithIndex().map(lambda pair: (pair[1], pair[0]))
            .repartitionAndSortWithinPartitions(n, partitionFunc=lambda i: i % n)
            .values())


def exactly_n_partitions(rdd, n):
    """n partitions, keeping input order: merge adjacent splits, or reshuffle only if there are too few."""
    have = rdd.getNumPartitions()
    if have > n:
        return rdd.coalesce(n)
    if have < n:
        log("the input gives only %d split(s) (compressed or small?); repartitioning to %d with a shuffle" % (have, n))
        return rdd.repartition(n)
    return rdd


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="labelled corpus (TSV, JSONL or fastText lines); any path Spark reads")
    ap.add_argument("-o", "--output", required=True, help="where the driver writes the merged model (a local path on the driver)")
    ap.add_argument("--switchboard", default="switchboard",
                    help="switchboard binary: its path on the driver and on every executor (default: %(default)s, on PATH)")
    ap.add_argument("--ship-binary", action="store_true",
                    help="send the driver's --switchboard binary to the executors with the job instead of expecting it there")
    ap.add_argument("--partitions", type=int, default=None,
                    help="number of shards (default: Spark's default parallelism)")
    ap.add_argument("--spread", action="store_true",
                    help="deal the lines out round-robin (line i to shard i mod N, with a shuffle) instead of contiguous "
                         "runs of lines; use it when the corpus is sorted by label and shards should each see every label")
    ap.add_argument("--parameters-from", metavar="MODEL",
                    help="take the hyperparameters not given as flags from this model (shipped to the executors)")
    ap.add_argument("--format", choices=["auto", "tsv", "jsonl", "fasttext"], default="auto",
                    help="corpus format (default: from the extension)")
    ap.add_argument("--text-field", help="JSONL: the text field (switchboard's default: text)")
    ap.add_argument("--label-field", help="JSONL: the label field (switchboard's default: label)")
    ap.add_argument("--alpha", type=float)
    ap.add_argument("--variant", choices=["multinomial", "complement"])
    ap.add_argument("--char-weight", type=float)
    ap.add_argument("--priors", choices=["learnt", "uniform"])
    ap.add_argument("--idf", choices=["on", "off"])
    ap.add_argument("--max-features", type=int, help="bound on the features of each shard (train --max-features)")
    ap.add_argument("--skip-invalid", action="store_true", help="skip malformed rows (counting them) instead of failing the shard")
    ap.add_argument("--train-arg", action="append", default=[], metavar="=FLAG",
                    help="any other flag for every `train --shard`, e.g. --train-arg=--word-ngrams=1-2 (repeatable)")
    ap.add_argument("--calibrate", action="append", default=[], metavar="FILE",
                    help="labelled held-out data (a local file on the driver) for `merge --calibrate` (repeatable); "
                         "without it the merged model's calibration comes from --parameters-from, or is left off")
    ap.add_argument("--target-precision", type=float, help="merge --target-precision (with --calibrate)")
    ap.add_argument("--merge-arg", action="append", default=[], metavar="=FLAG",
                    help="any other flag for `merge`, e.g. --merge-arg=--created-at=0 (repeatable)")
    ap.add_argument("--threads", type=int, help="--threads of each shard (default: spark.task.cpus)")
    ap.add_argument("--master", help="Spark master, e.g. local[2] (default: spark-submit's, else local[*])")
    ap.add_argument("--spark-log-level", default="WARN",
                    help="Spark's log level once started (default: %(default)s; empty: leave Spark's configuration alone)")
    ap.add_argument("--keep-shards", metavar="DIR", help="also keep the shard models in this local directory")
    ap.add_argument("--report", metavar="FILE", help="write the summary as JSON to this file")
    args = ap.parse_args(argv)
    if args.partitions is not None and args.partitions < 1:
        ap.error("--partitions must be at least 1")
    if args.format == "auto":
        args.format = guess_format(args.input)
        if args.format is None:
            ap.error("cannot tell the format of %s from its extension: give --format tsv, jsonl or fasttext" % args.input)
    if args.parameters_from and not os.path.isfile(args.parameters_from):
        ap.error("no such model: %s" % args.parameters_from)
    for path in args.calibrate:
        if not os.path.exists(path):
            ap.error("no such calibration data: %s" % path)
    if args.ship_binary and not os.path.isfile(args.switchboard):
        ap.error("--ship-binary needs --switchboard to be the path of a binary on the driver")
    return args


def main(argv=None):
    args = parse_args(argv)
    from pyspark import StorageLevel
    from pyspark.sql import SparkSession

    driver_binary = args.switchboard if os.sep in args.switchboard else (shutil.which(args.switchboard) or args.switchboard)
    started = time.time()
    builder = SparkSession.builder.appName("switchboard-train-shards")
    if args.master:
        builder = builder.master(args.master)
    if not sys.stderr.isatty():
        builder = builder.config("spark.ui.showConsoleProgress", "false")  # no progress bars in logs
    spark = builder.getOrCreate()
    sc = spark.sparkContext
    if args.spark_log_level:
        sc.setLogLevel(args.spark_log_level)
    try:
        partitions = args.partitions or sc.defaultParallelism
        threads = args.threads or int(sc.getConf().get("spark.task.cpus", "1"))
        shipped = None
        if args.ship_binary:
            sc.addFile(os.path.abspath(args.switchboard))
            shipped = os.path.basename(args.switchboard)
        parameters_name = None
        if args.parameters_from:
            sc.addFile(os.path.abspath(args.parameters_from))
            parameters_name = os.path.basename(args.parameters_from)
        flags = hyperparameter_flags(args)
        log("%s (%s) into %d partitions; shards run `train --shard --threads %d %s`" % (
            args.input, args.format, partitions, threads, " ".join(flags)))

        lines = sc.textFile(args.input, minPartitions=partitions)
        rows = spread_partitions(lines, partitions) if args.spread else exactly_n_partitions(lines, partitions)
        task = make_shard_task(args.switchboard, shipped, args.format, flags, parameters_name, threads)
        results = rows.mapPartitionsWithIndex(task).persist(StorageLevel.MEMORY_AND_DISK)
        t0 = time.time()
        summaries = results.map(lambda r: {k: v for k, v in r.items() if k != "model"}).collect()
        shard_stage = time.time() - t0
        summaries.sort(key=lambda r: r["partition"])
        failures = [r for r in summaries if r["error"]]
        to_input = input_lines(args, partitions, summaries, lines.getNumPartitions())
        for r in failures:
            print("shard failed: partition %d (%d rows, on %s): %s%s\n" % (
                r["partition"], r["rows"], r["host"], r["error"],
                ":\n" + ROWS_FILE.sub(lambda m: to_input(r["partition"], int(m.group(1))), r["stderr"]) if r["stderr"] else ""),
                file=sys.stderr)
        if failures:
            log("%d of %d shards failed; no model written" % (len(failures), len(summaries)))
            return 1
        total_rows = sum(r["rows"] for r in summaries)
        if total_rows == 0:
            log("the input has no rows: %s" % args.input)
            return 1
        log("%d shards trained in %.2f s (%d rows)" % (sum(1 for r in summaries if r["rows"]), shard_stage, total_rows))

        with tempfile.TemporaryDirectory(prefix="switchboard-merge-") as tmp:
            t0 = time.time()
            paths, sizes = [], {}
            # One cached partition at a time reaches the driver, which writes it to disk.
            for r in results.filter(lambda r: r["model"] is not None).toLocalIterator():
                path = os.path.join(tmp, "shard-%05d.sbm" % r["partition"])
                with open(path, "wb") as f:
                    f.write(r["model"])
                paths.append(path)
                sizes[r["partition"]] = len(r["model"])
            collect_seconds = time.time() - t0
            paths.sort()
            if len(paths) != sum(1 for r in summaries if r["rows"]):
                log("expected %d shard models, received %d" % (sum(1 for r in summaries if r["rows"]), len(paths)))
                return 1
            if args.keep_shards:
                os.makedirs(args.keep_shards, exist_ok=True)
                for p in paths:
                    shutil.copy2(p, os.path.join(args.keep_shards, os.path.basename(p)))
            cmd = [driver_binary, "merge", "--output", args.output]
            if args.parameters_from:
                cmd += ["--parameters-from", args.parameters_from]
            cmd += merge_flags(args) + paths
            t0 = time.time()
            try:
                proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            except OSError as e:
                log("cannot run %s: %s" % (driver_binary, e))
                return 1
            merge_seconds = time.time() - t0
            if proc.returncode == 0 and proc.stderr.strip():
                log("merge said: %s" % tail(proc.stderr))
            if proc.returncode != 0:
                print("merge failed: `%s` exited with status %d:\n%s" % (
                    " ".join(cmd[:4] + ["..."]), proc.returncode, tail(proc.stderr)), file=sys.stderr)
                return 1
        results.unpersist()
        report = {
            "input": args.input, "format": args.format, "output": args.output, "partitions": partitions,
            "spread": args.spread,
            "threads_per_shard": threads, "train_flags": flags, "parameters_from": args.parameters_from,
            "rows": total_rows,
            "shards": [{"partition": r["partition"], "rows": r["rows"], "seconds": round(r["seconds"], 3),
                        "bytes": sizes.get(r["partition"], 0), "host": r["host"]} for r in summaries],
            "shard_stage_seconds": round(shard_stage, 3), "collect_seconds": round(collect_seconds, 3),
            "merge_seconds": round(merge_seconds, 3), "total_seconds": round(time.time() - started, 3),
            "output_bytes": os.path.getsize(args.output),
        }
        print("merged %d shards (%d rows) into %s (%d bytes)" % (len(paths), total_rows, args.output, report["output_bytes"]))
        for s in report["shards"]:
            print("  partition %d: %d rows, %.2f s, %d bytes, on %s" % (s["partition"], s["rows"], s["seconds"], s["bytes"], s["host"]))
        print("  shard stage %.2f s, transfer %.2f s, merge %.2f s, total %.2f s (Spark start included)" % (
            shard_stage, collect_seconds, merge_seconds, report["total_seconds"]))
        if args.report:
            with open(args.report, "w", encoding="utf-8") as f:
                json.dump(report, f, indent=2)
        return 0
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
