#!/usr/bin/env python3
"""Calibration, abstention and out-of-scope detection of Switchboard's routing (issue 4).

Run from the repository root, after `swift build -c release`:

    python3 Benchmarks/routing.py

Everything below comes from one run, in a temporary directory (models, inputs, outputs; nothing is
written into the repository, ../shared/data is read in place). The binary is copied at the start so a
concurrent rebuild cannot swap it mid-run.

Sets:
  banking77  ../shared/data/banking77/{train,test}.tsv (77 labels, English)
  corpus     the shipped corpus, corpus/train/*.jsonl -> corpus/test/*.jsonl (13 labels, French and
             English); the model is trained with the command of README.md (same --created-at), so
             it is models/default.sbm when the sources have not changed since that file was made
             (the report says whether the ids match).

For each set, a model is trained with default settings (`switchboard train --output M TRAIN`), then
every test message is routed with `switchboard route --model M --json FILE` (no policy: the model's
own abstention threshold, chosen at training time for a 0.95 precision of what is routed). From the
decisions (label, confidence, abstained):

  - ECE: expected calibration error of the top confidence, 15 equal-width bins (the same definition
    as the library's Calibration.expectedCalibrationError).
      * "CV before / after": the figures stored in the model (`switchboard inspect M --json`,
        calibration.ece_before / ece_after), measured at training time on cross-validated predictions
        of the TRAINING data, before and after temperature scaling.
      * "held-out after": measured here on the test set from the confidence `route --json` prints
        (the calibrated probability).
      * "held-out before (reconstructed)": the uncalibrated posterior is softmax(scores) while the
        printed one is softmax(scale * scores), so p_uncal(j) / p_uncal(top) = (p(j) / p(top))^(1/scale).
        `route` prints only the top 3 labels; the calibrated mass of the others is 1 - p1 - p2 - p3,
        each at most p3, which bounds the uncalibrated top confidence (see uncalibrated_top). The ECE
        is computed with each bound ("a" = the higher confidences, "b" = the lower ones); when the
        two agree, the figure is exact to the printed digits.
  - Abstention at the default threshold, on the held-out test set: coverage (share routed
    automatically, abstained == false) and precision (accuracy of what was routed), plus overall
    accuracy of the top label (routed or not).
  - Out-of-scope:
      * banking77: the 77 labels sorted alphabetically; those at even positions (0, 2, 4, ...; 39
        labels) are in scope, those at odd positions (38 labels) out of scope. A model is trained on
        the in-scope training rows only, and ALL test messages are routed. Reported: in-scope coverage,
        precision of the routed in-scope messages, out-of-scope recall (share of the out-of-scope test
        messages that abstained), and the precision of everything routed (an out-of-scope message
        routed anywhere counts as wrong).
      * corpus: `press` and `sponsorship` are left out of training; all test messages are routed;
        same figures.

The report (Markdown) goes to standard output, progress to standard error.
"""
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import benchlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
BUILT = os.path.join(ROOT, ".build", "release", "switchboard")
BANKING = os.path.join(SHARED, "data", "banking77")
CORPUS_HOLD_OUT = ["press", "sponsorship"]
CREATED_AT = "1796083200"  # as in README.md's command for models/default.sbm
BINS = 15
TIMEOUT = 900  # seconds, any one command


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def run(cmd, **kw):
    log("$", " ".join(cmd))
    return subprocess.run(cmd, check=True, timeout=TIMEOUT, **kw)


def read_tsv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                label, _, text = line.partition("\t")
                rows.append((label, text))
    return rows


def read_jsonl_dir(directory):
    rows = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".jsonl"):
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        record = json.loads(line)
                        rows.append((record["label"], record["text"]))
    return rows


def write_tsv(rows, path):
    with open(path, "w", encoding="utf-8") as f:
        for label, text in rows:
            f.write("%s\t%s\n" % (label, one_line(text)))


def one_line(text):
    return " ".join(text.replace("\t", " ").splitlines())


def train(binary, inputs, model, extra=()):
    run([binary, "train", "--output", model, *extra, *inputs], stdout=subprocess.DEVNULL)
    return json.loads(run([binary, "inspect", model, "--json"], stdout=subprocess.PIPE).stdout)


def route(binary, model, texts, work):
    path = os.path.join(work, "route-input.txt")
    with open(path, "w", encoding="utf-8") as f:
        for text in texts:
            f.write(one_line(text) + "\n")
    out = run([binary, "route", "--model", model, "--json", path], stdout=subprocess.PIPE).stdout
    decisions = [json.loads(line) for line in out.decode("utf-8").splitlines() if line.strip()]
    if len(decisions) != len(texts):
        raise SystemExit("route printed %d decisions for %d messages" % (len(decisions), len(texts)))
    return decisions


def ece(confidences, correct, bins=BINS):
    count = [0] * bins
    total = [0.0] * bins
    hits = [0] * bins
    for p, ok in zip(confidences, correct):
        b = min(bins - 1, max(0, int(p * bins)))
        count[b] += 1
        total[b] += p
        hits[b] += 1 if ok else 0
    error = sum(abs(total[b] / count[b] - hits[b] / count[b]) * count[b] for b in range(bins) if count[b])
    return error / len(confidences)


def uncalibrated_top(decision, scale, label_count):
    """Bounds (a, b) of softmax(scores)[top], from the top-3 calibrated probabilities.

    p_uncal(j) / p_uncal(top) = (p(j) / p(top))^k with k = 1/scale. The labels beyond the top 3 are not
    printed, but their calibrated mass R = 1 - p1 - p2 - p3 is known and each of them has p <= p3. The sum
    of (p(j) / p1)^k over them lies between its values when R is spread evenly over the L - 3 labels and
    when it is packed into as few labels as possible (each at p3, the remainder in one more): which one is
    the larger depends on k > 1 (convex) or k < 1 (concave).
    """
    probs = [a["probability"] for a in decision["alternatives"]]
    top = probs[0]
    k = 1.0 / scale
    known = 1.0 + sum((p / top) ** k for p in probs[1:])
    others = label_count - len(probs)
    rest = max(0.0, 1.0 - sum(probs))
    if others <= 0 or rest <= 0 or top <= 0:
        return 1.0 / known, 1.0 / known
    p3 = probs[-1]
    even = others * ((rest / others) / top) ** k
    if p3 > 0:
        m = min(others, int(rest // p3))
        packed = m * (p3 / top) ** k + (max(0.0, rest - m * p3) / top) ** k
    else:
        packed = even
    low, high = min(even, packed), max(even, packed)
    return 1.0 / (known + low), 1.0 / (known + high)


def calibration_report(name, meta, gold, decisions):
    cal = meta["calibration"]
    labels = meta["labels"]
    correct = [d["label"] == g for d, g in zip(decisions, gold)]
    conf = [d["confidence"] for d in decisions]
    hi_conf, lo_conf = zip(*(uncalibrated_top(d, cal["scale"], len(labels)) for d in decisions))
    routed = [ok for d, ok in zip(decisions, correct) if not d["abstained"]]
    reasons = {}
    for d in decisions:
        if d["abstained"]:
            key = d.get("abstention_reason", "")
            key = "confidence below the threshold" if key.startswith("confidence") else key
            key = "too few known words (known-share check)" if key.startswith("only ") and "words are known" in key else key
            key = "words unusual for the label (likelihood check)" if "words are unusual for" in key else key
            reasons[key] = reasons.get(key, 0) + 1
    return {
        "name": name,
        "n": len(gold),
        "labels": len(labels),
        "scale": cal["scale"],
        "threshold": cal["abstention_threshold"],
        "cv_coverage": cal.get("coverage"),
        "cv_ece_before": cal["ece_before"],
        "cv_ece_after": cal["ece_after"],
        "test_ece_after": ece(conf, correct),
        "test_ece_before_a": ece(hi_conf, correct),
        "test_ece_before_b": ece(lo_conf, correct),
        "accuracy": sum(correct) / len(correct),
        "mean_confidence": sum(conf) / len(conf),
        "coverage": len(routed) / len(decisions),
        "precision": (sum(routed) / len(routed)) if routed else float("nan"),
        "routed": len(routed),
        "reasons": reasons,
    }


def oos_report(name, gold, decisions, out_of_scope):
    ins = [(g, d) for g, d in zip(gold, decisions) if g not in out_of_scope]
    oos = [(g, d) for g, d in zip(gold, decisions) if g in out_of_scope]
    routed_in = [(g, d) for g, d in ins if not d["abstained"]]
    routed_all = [(g, d) for g, d in zip(gold, decisions) if not d["abstained"]]
    per_label = {}
    routed_to = {}
    for g, d in oos:
        a, n = per_label.get(g, (0, 0))
        per_label[g] = (a + (1 if d["abstained"] else 0), n + 1)
        if not d["abstained"]:
            routed_to[d["label"]] = routed_to.get(d["label"], 0) + 1
    return {
        "name": name,
        "in_n": len(ins),
        "oos_n": len(oos),
        "in_coverage": len(routed_in) / len(ins),
        "in_precision": sum(g == d["label"] for g, d in routed_in) / len(routed_in) if routed_in else float("nan"),
        "oos_recall": sum(d["abstained"] for _, d in oos) / len(oos),
        "all_precision": sum(g == d["label"] for g, d in routed_all) / len(routed_all) if routed_all else float("nan"),
        "oos_mean_confidence": sum(d["confidence"] for _, d in oos) / len(oos),
        "in_mean_confidence": sum(d["confidence"] for _, d in ins) / len(ins),
        "per_label": per_label,
        "routed_to": routed_to,
    }


def main():
    if not os.path.exists(BUILT):
        raise SystemExit("build first: swift build -c release")
    start = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()[0]
    binary_note = benchlib.describe_binary(BUILT)
    work = tempfile.mkdtemp(prefix="switchboard-routing-")
    try:
        binary = os.path.join(work, "switchboard")
        shutil.copy2(BUILT, binary)
        t0 = time.time()

        # (a) banking77, all labels
        b_train, b_test = read_tsv(os.path.join(BANKING, "train.tsv")), read_tsv(os.path.join(BANKING, "test.tsv"))
        b_model = os.path.join(work, "banking77.sbm")
        b_meta = train(binary, [os.path.join(BANKING, "train.tsv")], b_model)
        b_dec = route(binary, b_model, [t for _, t in b_test], work)
        cal_rows = [calibration_report("banking77", b_meta, [l for l, _ in b_test], b_dec)]

        # (b) shipped corpus, all labels
        c_train_files = sorted(os.path.join(ROOT, "corpus", "train", f) for f in os.listdir(os.path.join(ROOT, "corpus", "train")) if f.endswith(".jsonl"))
        c_test = read_jsonl_dir(os.path.join(ROOT, "corpus", "test"))
        c_model = os.path.join(work, "corpus.sbm")
        c_meta = train(binary, c_train_files, c_model, ["--created-at", CREATED_AT])
        shipped = json.loads(run([binary, "inspect", os.path.join(ROOT, "models", "default.sbm"), "--json"], stdout=subprocess.PIPE).stdout)
        c_dec = route(binary, c_model, [t for _, t in c_test], work)
        cal_rows.append(calibration_report("corpus", c_meta, [l for l, _ in c_test], c_dec))

        # out-of-scope, banking77: alphabetical even positions in scope, odd positions out
        labels = sorted({l for l, _ in b_train})
        in_scope = set(labels[0::2])
        out_scope = set(labels[1::2])
        half_train = os.path.join(work, "banking77-even.tsv")
        write_tsv([(l, t) for l, t in b_train if l in in_scope], half_train)
        bh_model = os.path.join(work, "banking77-even.sbm")
        bh_meta = train(binary, [half_train], bh_model)
        bh_dec = route(binary, bh_model, [t for _, t in b_test], work)
        oos_rows = [oos_report("banking77 (39 even labels in scope, 38 odd out)", [l for l, _ in b_test], bh_dec, out_scope)]

        # out-of-scope, corpus: press and sponsorship held out
        ch_files = [f for f in c_train_files if os.path.basename(f)[:-len(".jsonl")] not in CORPUS_HOLD_OUT]
        ch_model = os.path.join(work, "corpus-holdout.sbm")
        ch_meta = train(binary, ch_files, ch_model, ["--created-at", CREATED_AT])
        ch_dec = route(binary, ch_model, [t for _, t in c_test], work)
        oos_rows.append(oos_report("corpus (%s held out)" % " + ".join(CORPUS_HOLD_OUT), [l for l, _ in c_test], ch_dec, set(CORPUS_HOLD_OUT)))
        seconds = time.time() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)

    end = datetime.datetime.now(datetime.timezone.utc)
    p = print
    p("- command: `python3 Benchmarks/routing.py`")
    p("- date: %s to %s (UTC), %.0f s" % (start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%H:%M:%S"), seconds))
    p("- machine: %s" % benchlib.machine())
    p("- load average (1 min) before / after: %.2f / %.2f" % (load_before, os.getloadavg()[0]))
    p("- %s" % binary_note)
    p("- corpus model trained here: id %s; models/default.sbm: id %s (%s)" % (
        c_meta.get("id"), shipped.get("id"), "the same model" if c_meta.get("id") == shipped.get("id") else "DIFFERENT: the figures are for the model trained here"))
    p()
    p("### Calibration and abstention (held-out test sets, default threshold, no policy)")
    p()
    p("| set | test msgs | labels | scale | threshold | ECE CV before | ECE CV after | ECE held-out before (reconstructed: a / b) | ECE held-out after | accuracy (top label) | coverage | precision of routed | CV coverage at threshold |")
    p("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in cal_rows:
        p("| %s | %d | %d | %.4f | %.4f | %.4f | %.4f | %.4f / %.4f | %.4f | %.4f | %.4f (%d) | %.4f | %s |" % (
            r["name"], r["n"], r["labels"], r["scale"], r["threshold"], r["cv_ece_before"], r["cv_ece_after"],
            r["test_ece_before_a"], r["test_ece_before_b"], r["test_ece_after"], r["accuracy"], r["coverage"], r["routed"],
            r["precision"], "%.4f" % r["cv_coverage"] if r["cv_coverage"] is not None else "-"))
    p()
    for r in cal_rows:
        p("- %s: mean confidence %.4f against accuracy %.4f; abstention reasons: %s" % (
            r["name"], r["mean_confidence"], r["accuracy"], ", ".join("%s %d" % kv for kv in sorted(r["reasons"].items())) or "none"))
    p()
    p("### Out-of-scope messages (no policy, the trained model's default threshold)")
    p()
    p("| set | in-scope test msgs | out-of-scope test msgs | threshold | in-scope coverage | precision of routed in-scope | out-of-scope recall (abstained) | precision of all routed (OOS routed = wrong) | mean confidence in / out |")
    p("|---|---|---|---|---|---|---|---|---|")
    for r, meta in zip(oos_rows, (bh_meta, ch_meta)):
        p("| %s | %d | %d | %.4f | %.4f | %.4f | %.4f | %.4f | %.3f / %.3f |" % (
            r["name"], r["in_n"], r["oos_n"], meta["calibration"]["abstention_threshold"], r["in_coverage"], r["in_precision"],
            r["oos_recall"], r["all_precision"], r["in_mean_confidence"], r["oos_mean_confidence"]))
    p()
    p("- corpus held-out labels, abstained / test messages: %s" % ", ".join(
        "%s %d/%d" % (label, a, n) for label, (a, n) in sorted(oos_rows[1]["per_label"].items())))
    p("- corpus out-of-scope messages that were routed, by the label they got: %s" % ", ".join(
        "%s %d" % (label, n) for label, n in sorted(oos_rows[1]["routed_to"].items(), key=lambda x: (-x[1], x[0]))))
    p("- banking77 in-scope labels (alphabetical positions 0, 2, 4, ...): %s" % ", ".join(sorted(in_scope)))


if __name__ == "__main__":
    main()
