#!/usr/bin/env python3
"""Routes a large JSONL export with Spark, partition by partition, through `switchboard batch`.

    spark-submit examples/spark/batch_partitions.py --model M.sbm [--policy P.yaml] --output OUT INPUT
    python3 examples/spark/batch_partitions.py --master 'local[2]' --model M.sbm --output OUT INPUT

INPUT is a JSON Lines export (one `{"id": ..., "text": ...}` a line; other fields are read as
`switchboard batch` reads them), any path Spark reads: a local file in local mode; an hdfs://,
s3a:// or other shared path on a cluster; a directory or glob of such files; .gz works but is not
split.

1. Spark reads the files of INPUT (one file, or the files of a directory or glob sorted by
   path) into partitions of at least --partitions in all (split by size; a partition never
   mixes files), and counts the lines of every partition in one pass, to number each line
   within its file.
2. Each partition, on whichever executor runs it, writes its lines to a temporary file in the
   executor's local directory and runs
       switchboard batch -m MODEL [-p POLICY] --format jsonl --threads T -o out part-NNNNN.jsonl
   The model and policy reach the executors through SparkContext.addFile (SparkFiles). Blank
   lines are kept, so that every line keeps its number; they are not records (switchboard skips
   them). Each output record's `source` (`part-NNNNN.jsonl:K`) is rewritten to the line of the
   input, `FILE:LINE`, as `switchboard batch FILE...` would have written it (FILE is INPUT as
   given when INPUT is one file, else each file's path or URI). The task checks its own counts:
   non-blank input lines = decision records + error records + skipped messages (from
   switchboard's summary), and that its output holds that many records.
3. The driver sums the partitions' counts and checks that they add up (input records = output
   records + error records, plus any messages switchboard counted as skipped), then writes the
   records in input order, atomically:
     - by default OUT is a directory of part files (Spark's saveAsTextFile into OUT.tmp-APPID
       next to OUT, then one rename through Hadoop's FileSystem API, so it works on HDFS too;
       on object stores such as S3 a rename is a copy and is not atomic);
     - with --single-file, OUT is one JSONL file on the driver, streamed partition by partition
       (toLocalIterator) into OUT.tmp-PID, flushed and fsync'd, then renamed.
   It then counts the records written and compares them with the expected total.
   A failing partition (switchboard's exit status and stderr) or a count that does not add up
   stops the job with exit status 1 and writes nothing.

Options not listed here reach `switchboard batch` through --batch-arg=... (e.g.
--batch-arg=--text-field=body, --batch-arg=--explain, --batch-arg=--include-text). The binary must
exist at --switchboard on every executor, or be shipped with --ship-binary (see train_shards.py).
Each task runs `batch --threads` spark.task.cpus (1 unless configured), or --threads.

Progress goes to standard error; the summary to standard output; --report FILE also writes it
as JSON (used by Benchmarks/spark.py).
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

SUMMARY = re.compile(r"read (\d+) messages: (\d+) routed, (\d+) abstained, (\d+) errors, (\d+) skipped")
STDERR_LIMIT = 4000


def log(msg):
    print("[batch_partitions %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def local_dir():
    """A scratch directory on the machine running this task: Spark's local dirs, else TMPDIR."""
    for var in ("SPARK_LOCAL_DIRS", "LOCAL_DIRS"):
        for d in (os.environ.get(var) or "").split(","):
            if d and os.path.isdir(d) and os.access(d, os.W_OK):
                return d
    return None


def executor_binary(binary, shipped_name):
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


def is_blank(line):
    """As switchboard's JSONL reader: only spaces, tabs and carriage returns."""
    return not line.strip(" \t\r")


def make_batch_task(binary, shipped_name, model_name, policy_name, threads, extra, origins):
    """The function each partition runs. origins[i] = (file name, 0-based index in that file of
    partition i's first line). Yields ("R", record line) for every output record, then one
    ("S", stats) or ("E", error) per partition; never raises for a switchboard failure."""

    def batch(index, lines):
        from pyspark import SparkFiles
        started = time.time()
        origin, first = origins[index]
        stats = {"partition": index, "file": origin, "first_line": first + 1, "lines": 0, "records": 0,
                 "decisions": 0, "errors": 0, "skipped": 0, "summary": None, "host": os.uname().nodename}
        workdir = tempfile.mkdtemp(prefix="switchboard-batch-%05d-" % index, dir=local_dir())
        try:
            name = "part-%05d.jsonl" % index
            with open(os.path.join(workdir, name), "w", encoding="utf-8", newline="\n") as f:
                for line in lines:
                    f.write(line)
                    f.write("\n")
                    stats["lines"] += 1
                    if not is_blank(line):
                        stats["records"] += 1
            if stats["records"] == 0:
                stats["seconds"] = time.time() - started
                yield ("S", stats)
                return
            out = os.path.join(workdir, "out.jsonl")
            cmd = [executor_binary(binary, shipped_name), "batch", "-m", SparkFiles.get(model_name)]
            if policy_name:
                cmd += ["-p", SparkFiles.get(policy_name)]
            cmd += ["--format", "jsonl", "--output-format", "jsonl", "--threads", str(threads), "-o", out] + extra + [name]
            try:
                proc = subprocess.run(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            except OSError as e:
                yield ("E", {"partition": index, "host": stats["host"], "error": "cannot run %s: %s" % (cmd[0], e)})
                return
            err = proc.stderr.decode("utf-8", "replace")
            if proc.returncode != 0:
                yield ("E", {"partition": index, "host": stats["host"], "error":
                             "`switchboard batch` exited with status %d on lines %d-%d of %s:\n%s" % (
                                 proc.returncode, first + 1, first + stats["lines"], origin, tail(err))})
                return
            m = SUMMARY.search(err)
            if not m:
                yield ("E", {"partition": index, "host": stats["host"],
                             "error": "no summary line in switchboard batch's stderr:\n%s" % tail(err)})
                return
            read, routed, abstained, errors, skipped = (int(g) for g in m.groups())
            stats["summary"] = {"read": read, "routed": routed, "abstained": abstained, "errors": errors, "skipped": skipped}
            prefix = '{"source":"%s:' % name
            origin_json = json.dumps(origin, ensure_ascii=False)[1:-1]  # as it appears inside a JSON string
            with open(out, encoding="utf-8", newline="\n") as f:
                for record in f:
                    record = record.rstrip("\n")
                    if not record:
                        continue
                    if record.startswith(prefix):
                        end = record.index('"', len(prefix))
                        line_no = first + int(record[len(prefix):end])  # K is 1-based within the part file
                        record = '{"source":"%s:%d%s' % (origin_json, line_no, record[end:])
                    if "error" in json.loads(record):
                        stats["errors"] += 1
                    else:
                        stats["decisions"] += 1
                    yield ("R", record)
            stats["skipped"] = skipped
            stats["seconds"] = time.time() - started
            problems = []
            if read != stats["records"]:
                problems.append("switchboard read %d messages, the partition has %d non-blank lines" % (read, stats["records"]))
            if stats["decisions"] + stats["errors"] + skipped != stats["records"]:
                problems.append("%d records in = %d decisions + %d errors + %d skipped does not add up" % (
                    stats["records"], stats["decisions"], stats["errors"], skipped))
            if stats["decisions"] != routed + abstained or stats["errors"] != errors:
                problems.append("output has %d decisions and %d errors, switchboard's summary says %d and %d" % (
                    stats["decisions"], stats["errors"], routed + abstained, errors))
            if problems:
                yield ("E", {"partition": index, "host": stats["host"], "error": "; ".join(problems)})
            else:
                yield ("S", stats)
        except Exception as e:
            yield ("E", {"partition": index, "host": stats["host"], "error": "%s: %s" % (type(e).__name__, e)})
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    return batch


def hadoop_fs(sc, path):
    jvm = sc._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    return p.getFileSystem(sc._jsc.hadoopConfiguration()), p


def input_files(sc, path):
    """The files INPUT names, sorted by path: a file, or the files of a directory or glob (hidden
    files, whose names start with . or _, left out as Hadoop's input formats do)."""
    fs, p = hadoop_fs(sc, path)
    statuses = fs.globStatus(p) or []
    files = []
    for st in statuses:
        if st.isFile():
            files.append(st.getPath())
        else:
            files += [c.getPath() for c in fs.listStatus(st.getPath()) if c.isFile()]
    files = [f for f in files if not f.getName().startswith((".", "_"))]
    return sorted(((f.toString(), f.toUri().getScheme() == "file", fs.getFileStatus(f).getLen()) for f in files),
                  key=lambda t: t[0])


def read_partitions(sc, path, want):
    """An RDD of the input's lines whose partitions each hold lines of one file, in file order
    (files sorted by path), and for each partition (file name, index of its first line in the file).
    The file name is INPUT as given when INPUT is one file, as `switchboard batch INPUT` names it."""
    files = input_files(sc, path)
    if not files:
        raise FileNotFoundError("no input files at %s" % path)
    total = sum(size for _, _, size in files) or 1
    rdds, names = [], []
    for uri, local, size in files:
        rdds.append(sc.textFile(uri, minPartitions=max(1, -(-want * size // total))))
        name = path if len(files) == 1 else (uri[len("file:"):] if local and uri.startswith("file:") else uri)
        names += [name] * rdds[-1].getNumPartitions()
    lines = rdds[0] if len(rdds) == 1 else sc.union(rdds)
    # One pass that counts the lines of every partition, to number the lines within each file.
    counts = lines.mapPartitions(lambda it: [sum(1 for _ in it)]).collect()
    origins, seen = [], {}
    for name, n in zip(names, counts):
        origins.append((name, seen.get(name, 0)))
        seen[name] = seen.get(name, 0) + n
    return lines, origins, len(files)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="JSONL export: a file, directory or glob that Spark reads")
    ap.add_argument("-m", "--model", required=True, help="model file on the driver (shipped to the executors)")
    ap.add_argument("-p", "--policy", help="routing policy (YAML) on the driver (shipped to the executors)")
    ap.add_argument("-o", "--output", required=True,
                    help="a directory of part files (any path Spark writes), or with --single-file one local JSONL file")
    ap.add_argument("--single-file", action="store_true", help="write one JSONL file on the driver instead of part files")
    ap.add_argument("--overwrite", action="store_true", help="replace OUT if it exists (default: refuse)")
    ap.add_argument("--switchboard", default="switchboard",
                    help="switchboard binary on every executor (default: %(default)s, on PATH)")
    ap.add_argument("--ship-binary", action="store_true", help="send the driver's --switchboard binary with the job")
    ap.add_argument("--partitions", type=int, help="at least this many partitions (default: Spark's, from the input splits)")
    ap.add_argument("--threads", type=int, help="--threads of each `switchboard batch` (default: spark.task.cpus)")
    ap.add_argument("--batch-arg", action="append", default=[], metavar="=FLAG",
                    help="another flag for `switchboard batch`, e.g. --batch-arg=--text-field=body (repeatable)")
    ap.add_argument("--master", help="Spark master, e.g. local[2] (default: spark-submit's, else local[*])")
    ap.add_argument("--spark-log-level", default="WARN",
                    help="Spark's log level once started (default: %(default)s; empty: leave Spark's configuration alone)")
    ap.add_argument("--report", metavar="FILE", help="write the summary as JSON to this file")
    args = ap.parse_args(argv)
    for path, what in ((args.model, "model"), (args.policy, "policy")):
        if path and not os.path.isfile(path):
            ap.error("no such %s: %s" % (what, path))
    if args.ship_binary and not os.path.isfile(args.switchboard):
        ap.error("--ship-binary needs --switchboard to be the path of a binary on the driver")
    if args.partitions is not None and args.partitions < 1:
        ap.error("--partitions must be at least 1")
    bad = [a for a in args.batch_arg if a.split("=")[0] in ("-o", "--output", "--output-format", "--format", "-m", "--model",
                                                             "-p", "--policy", "--threads", "--strict")]
    if bad:
        ap.error("these are set by the job, not through --batch-arg: %s" % " ".join(bad))
    return args


def write_single_file(records, output, overwrite):
    """Streams the records to OUTPUT.tmp-PID, fsyncs, renames; returns the number written."""
    if os.path.exists(output) and not overwrite:
        raise FileExistsError("%s exists (use --overwrite)" % output)
    tmp = "%s.tmp-%d" % (output, os.getpid())
    n = 0
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            for record in records:
                f.write(record)
                f.write("\n")
                n += 1
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, output)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return n


def write_part_files(sc, records, output, overwrite):
    """saveAsTextFile into OUTPUT.tmp-APPID, then a rename to OUTPUT; returns the records read back."""
    fs, out = hadoop_fs(sc, output)
    if fs.exists(out) and not overwrite:
        raise FileExistsError("%s exists (use --overwrite)" % output)
    tmp_name = "%s.tmp-%s" % (output.rstrip("/"), sc.applicationId)
    tmp = sc._jvm.org.apache.hadoop.fs.Path(tmp_name)
    try:
        records.saveAsTextFile(tmp_name)
        written = sc.textFile(tmp_name).count()
        old = None
        if fs.exists(out):
            old = sc._jvm.org.apache.hadoop.fs.Path("%s.old-%s" % (output.rstrip("/"), sc.applicationId))
            if not fs.rename(out, old):
                raise OSError("cannot move the old %s aside" % output)
        if not fs.rename(tmp, out):
            raise OSError("cannot rename %s to %s" % (tmp_name, output))
        if old is not None:
            fs.delete(old, True)
        return written
    except BaseException:
        if fs.exists(tmp):
            fs.delete(tmp, True)
        raise


def main(argv=None):
    args = parse_args(argv)
    from pyspark import StorageLevel
    from pyspark.sql import SparkSession

    started = time.time()
    builder = SparkSession.builder.appName("switchboard-batch-partitions")
    if args.master:
        builder = builder.master(args.master)
    if not sys.stderr.isatty():
        builder = builder.config("spark.ui.showConsoleProgress", "false")  # no progress bars in logs
    spark = builder.getOrCreate()
    sc = spark.sparkContext
    if args.spark_log_level:
        sc.setLogLevel(args.spark_log_level)
    try:
        threads = args.threads or int(sc.getConf().get("spark.task.cpus", "1"))
        sc.addFile(os.path.abspath(args.model))
        policy_name = None
        if args.policy:
            sc.addFile(os.path.abspath(args.policy))
            policy_name = os.path.basename(args.policy)
        shipped = None
        if args.ship_binary:
            sc.addFile(os.path.abspath(args.switchboard))
            shipped = os.path.basename(args.switchboard)
        if not args.overwrite and (os.path.exists(args.output) if args.single_file else hadoop_fs(sc, args.output)[0].exists(
                hadoop_fs(sc, args.output)[1])):
            log("%s exists (use --overwrite)" % args.output)
            return 1
        t0 = time.time()
        lines, origins, nfiles = read_partitions(sc, args.input, args.partitions or sc.defaultParallelism)
        partitions = lines.getNumPartitions()
        count_seconds = time.time() - t0
        log("%s: %d file(s) in %d partitions (lines counted in %.2f s); each runs `switchboard batch --threads %d %s`" % (
            args.input, nfiles, partitions, count_seconds, threads, " ".join(args.batch_arg)))
        task = make_batch_task(args.switchboard, shipped, os.path.basename(args.model), policy_name, threads,
                               list(args.batch_arg), origins)
        tagged = lines.mapPartitionsWithIndex(task).persist(StorageLevel.MEMORY_AND_DISK)

        t0 = time.time()
        outcomes = tagged.filter(lambda t: t[0] != "R").collect()  # runs every partition
        batch_seconds = time.time() - t0
        failures = sorted((o[1] for o in outcomes if o[0] == "E"), key=lambda e: e["partition"])
        stats = sorted((o[1] for o in outcomes if o[0] == "S"), key=lambda s: s["partition"])
        for e in failures:
            print("partition %d failed (on %s):\n%s\n" % (e["partition"], e["host"], e["error"]), file=sys.stderr)
        if failures:
            log("%d of %d partitions failed; nothing written" % (len(failures), partitions))
            return 1
        if len(stats) != partitions:
            log("expected %d partition summaries, received %d; nothing written" % (partitions, len(stats)))
            return 1
        total = {k: sum(s[k] for s in stats) for k in ("lines", "records", "decisions", "errors", "skipped")}
        if total["records"] != total["decisions"] + total["errors"] + total["skipped"]:
            log("counts do not add up: %d input records, %d decision records + %d error records + %d skipped; nothing written" % (
                total["records"], total["decisions"], total["errors"], total["skipped"]))
            return 1
        expected = total["decisions"] + total["errors"]
        log("%d partitions routed in %.2f s: %d input records = %d decision records + %d error records%s" % (
            partitions, batch_seconds, total["records"], total["decisions"], total["errors"],
            " + %d skipped" % total["skipped"] if total["skipped"] else ""))

        records = tagged.filter(lambda t: t[0] == "R").map(lambda t: t[1])
        t0 = time.time()
        if args.single_file:
            written = write_single_file(records.toLocalIterator(), args.output, args.overwrite)
        else:
            written = write_part_files(sc, records, args.output, args.overwrite)
        write_seconds = time.time() - t0
        tagged.unpersist()
        if written != expected:
            log("wrote %d records, expected %d: the output %s is wrong" % (written, expected, args.output))
            return 1
        report = {
            "input": args.input, "files": nfiles, "output": args.output, "single_file": args.single_file,
            "partitions": partitions,
            "threads_per_task": threads, "totals": total, "written": written,
            "routed": sum(s["summary"]["routed"] for s in stats if s["summary"]),
            "abstained": sum(s["summary"]["abstained"] for s in stats if s["summary"]),
            "partition_stats": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in s.items()} for s in stats],
            "count_seconds": round(count_seconds, 3), "batch_seconds": round(batch_seconds, 3), "write_seconds": round(write_seconds, 3),
            "total_seconds": round(time.time() - started, 3),
        }
        print("%s: %d input records = %d decision records + %d error records%s; %d records written to %s (%s)" % (
            args.input, total["records"], total["decisions"], total["errors"],
            " + %d skipped" % total["skipped"] if total["skipped"] else "", written, args.output,
            "one file" if args.single_file else "part files"))
        print("  %d partitions: line count %.2f s, routing %.2f s, writing %.2f s, total %.2f s (Spark start included)" % (
            partitions, count_seconds, batch_seconds, write_seconds, report["total_seconds"]))
        if args.report:
            with open(args.report, "w", encoding="utf-8") as f:
                json.dump(report, f, indent=2)
        return 0
    except FileExistsError as e:
        log(str(e))
        return 1
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
