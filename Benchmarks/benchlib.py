"""What the benchmark scripts share: the machine line of their reports, the state of the source tree
and of the binary, running commands, and the explicit hyperparameters the training benchmarks use.

Imported by the scripts of Benchmarks/ (run from the repository root; Python puts the script's folder on
the path, so `import benchlib` finds this file).
"""
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILT = os.path.join(ROOT, ".build", "release", "switchboard")


def logger(script):
    """A progress printer for standard error: `[script HH:MM:SS] message`."""
    def log(msg):
        print("[%s %s] %s" % (script, time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)
    return log


def machine():
    """`2 cores (nproc), CPU model, x86_64, 24 GiB RAM, Linux ..., Python ...`."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            mem = ", %.0f GiB RAM" % (int(f.readline().split()[1]) / 2**20)
    except (OSError, ValueError, IndexError):
        pass
    return "%d cores (nproc), %s, %s%s, Linux %s, Python %s" % (
        os.cpu_count(), cpu, platform.machine(), mem, platform.release(), platform.python_version())


def source_state():
    """(short HEAD, whether Sources/ or Package.swift have uncommitted changes)."""
    def git(*args):
        try:
            return subprocess.run(["git", "-C", ROOT] + list(args), capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""
    return git("rev-parse", "--short", "HEAD") or "unknown", bool(git("status", "--porcelain", "--", "Sources", "Package.swift"))


def describe_binary(path=BUILT):
    """`binary .build/release/switchboard built <UTC> (copied at start), repository HEAD <h>[; Sources/ has
    uncommitted edits]; <n> source files newer than the binary`: what a run measured. Call it when the
    binary is copied, so that a rebuild during the run cannot change the answer."""
    built = os.path.getmtime(path)
    head, dirty = source_state()
    newer = 0
    for base, _, files in os.walk(os.path.join(ROOT, "Sources")):
        newer += sum(1 for f in files if os.path.getmtime(os.path.join(base, f)) > built)
    return "binary %s built %s UTC (copied at start), repository HEAD %s%s; %d source files newer than the binary" % (
        os.path.relpath(path, ROOT), datetime.datetime.fromtimestamp(built, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        head, "; Sources/ has uncommitted edits" if dirty else "", newer)


def report_head(script, argv, started, finished, load_before, load_after, binary_note):
    """The first lines of a report: command, dates, machine, load and the binary measured."""
    return [
        "- command: `python3 Benchmarks/%s %s`" % (script, " ".join(argv)),
        "- date: %s to %s (UTC)" % (started.strftime("%Y-%m-%d %H:%M:%S"), finished.strftime("%H:%M:%S")),
        "- machine: %s" % machine(),
        "- load average (1 min) before / after: %.2f / %.2f" % (load_before, load_after),
        "- %s" % binary_note,
    ]


def run(cmd, timeout, capture=True, **kw):
    """Runs cmd; stops the benchmark with the command's standard error if it fails."""
    if capture:
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
    proc = subprocess.run(cmd, timeout=timeout, **kw)
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace") if isinstance(proc.stderr, bytes) else (proc.stderr or "")
        sys.exit("command failed (%d): %s\n%s" % (proc.returncode, " ".join(cmd), err[-4000:]))
    return proc


def med(xs):
    return statistics.median(xs)


def add_hyperparameter_arguments(ap):
    """The explicit hyperparameters (so that no search runs): what cross-validation chose for 20newsgroups."""
    ap.add_argument("--alpha", type=float, default=0.01)
    ap.add_argument("--variant", choices=["multinomial", "complement"], default="complement")
    ap.add_argument("--char-weight", type=float, default=0.25)
    ap.add_argument("--priors", choices=["learnt", "uniform"], default="uniform")
    ap.add_argument("--idf", choices=["on", "off"], default="off")


def hyper_flags(args):
    """The `switchboard train` flags for add_hyperparameter_arguments's options."""
    return ["--alpha", str(args.alpha), "--variant", args.variant, "--char-weight", str(args.char_weight),
            "--priors", args.priors, "--idf", args.idf]
