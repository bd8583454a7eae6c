#!/usr/bin/env python3
"""Novelty checks compared on training data only: how many messages of labels a model never learnt go to a person.

    python3 Benchmarks/novelty.py            # after `swift build -c release`
    python3 Benchmarks/novelty.py banking77,corpus,20newsgroups   # 20newsgroups too (about 5 minutes)

For choosing between abstention checks without looking at any test split. For each set (banking77: the 38
labels at odd positions of the code-point-sorted label list are out of scope; the shipped corpus: press and
sponsorship; 20newsgroups, on request: the 10 groups at odd positions), from the TRAINING split alone:

- the in-scope rows are shuffled (seed 1) and split 80/20;
- a model is trained on the 80% with `switchboard train` (default settings plus the flags of each
  configuration below);
- the held 20% of in-scope rows and every out-of-scope row are routed with `switchboard route --json`
  (no policy: the model's own threshold and checks).

Printed per configuration: in-scope coverage (share not abstained), precision of the routed in-scope
messages, and out-of-scope recall (share of out-of-scope messages that abstained). Configurations:

- `defaults`: the word-likelihood check at the 5th percentile for a multinomial model; for a complement
  model, which has no word likelihood, the known-share check at the same percentile;
- `known-share`: the check it replaced (`--likelihood-percentile 0 --known-share-percentile 5`);
- `confidence only`: neither (`--likelihood-percentile 0 --known-share-percentile 0`).

Everything is written to a temporary directory; `../shared/data` is read in place.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))
BINARY = os.path.join(ROOT, ".build", "release", "switchboard")
CONFIGURATIONS = [
    ("defaults", []),
    ("known-share", ["--likelihood-percentile", "0", "--known-share-percentile", "5"]),
    ("confidence only", ["--likelihood-percentile", "0", "--known-share-percentile", "0"]),
]


def shared_rows(name):
    """A shared set's training rows, and its labels at odd positions of the code-point order (out of scope)."""
    rows = []
    with open(os.path.join(DATA, name, "train.tsv"), encoding="utf-8") as f:
        for line in f:
            label, _, text = line.rstrip("\n").partition("\t")
            if text.strip():
                rows.append((label, text))
    labels = sorted({label for label, _ in rows})
    return rows, set(labels[1::2])


def corpus_rows():
    rows = []
    directory = os.path.join(ROOT, "corpus", "train")
    for name in sorted(os.listdir(directory)):
        if name.endswith(".jsonl"):
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                for line in f:
                    record = json.loads(line)
                    rows.append((record["label"], record["text"]))
    return rows, {"press", "sponsorship"}


def clean(text):
    return " ".join(text.replace("\t", " ").split())


def run(name, rows, out_of_scope, work):
    in_scope = [r for r in rows if r[0] not in out_of_scope]
    outside = [r for r in rows if r[0] in out_of_scope]
    random.Random(1).shuffle(in_scope)
    cut = int(len(in_scope) * 0.8)
    train, held = in_scope[:cut], in_scope[cut:]
    train_path = os.path.join(work, name + "-train.tsv")
    with open(train_path, "w", encoding="utf-8") as f:
        for label, text in train:
            f.write("%s\t%s\n" % (label, clean(text)))
    route_path = os.path.join(work, name + "-route.txt")
    with open(route_path, "w", encoding="utf-8") as f:
        for _, text in held + outside:
            f.write(clean(text) + "\n")
    truth = [label for label, _ in held]
    print("\n%s: trained on %d in-scope training rows, routed %d held in-scope rows and %d out-of-scope rows (%s)"
          % (name, len(train), len(held), len(outside), ", ".join(sorted(out_of_scope)) if len(out_of_scope) < 5 else "%d labels" % len(out_of_scope)))
    print("\n| configuration | in-scope coverage | precision of routed in-scope | out-of-scope recall |")
    print("|---|---|---|---|")
    for configuration, flags in CONFIGURATIONS:
        model = os.path.join(work, "%s-%s.sbm" % (name, configuration.replace(" ", "-")))
        subprocess.run([BINARY, "train", "--output", model] + flags + [train_path], check=True, capture_output=True)
        output = subprocess.run([BINARY, "route", "--model", model, "--json", route_path], check=True, capture_output=True, text=True).stdout
        decisions = [json.loads(line) for line in output.splitlines()]
        assert len(decisions) == len(held) + len(outside), "one decision per message"
        inside, beyond = decisions[:len(held)], decisions[len(held):]
        routed = [(d, t) for d, t in zip(inside, truth) if not d["abstained"]]
        coverage = len(routed) / len(inside)
        precision = sum(d["label"] == t for d, t in routed) / max(len(routed), 1)
        recall = sum(d["abstained"] for d in beyond) / len(beyond)
        print("| %s | %.4f | %.4f | %.4f |" % (configuration, coverage, precision, recall))


def main():
    if not os.path.exists(BINARY):
        sys.exit("no %s: run `swift build -c release` first" % BINARY)
    start = time.time()
    print("- command: `python3 Benchmarks/novelty.py`")
    print("- date: %s (UTC)" % time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()))
    print("- load average (1 min) before: %.2f" % os.getloadavg()[0])
    sets = {"banking77": lambda: shared_rows("banking77"), "corpus": corpus_rows, "20newsgroups": lambda: shared_rows("20newsgroups")}
    chosen = sys.argv[1].split(",") if len(sys.argv) > 1 else ["banking77", "corpus"]
    with tempfile.TemporaryDirectory(prefix="switchboard-novelty-") as work:
        for name in chosen:
            run(name, *sets[name](), work)
    print("\n- %.0f s; load average (1 min) after: %.2f" % (time.time() - start, os.getloadavg()[0]))


if __name__ == "__main__":
    main()
