#!/usr/bin/env python3
"""Writes the corpus's fixed train/test split.

Rule (documented in corpus/README.md and checked by the tests): within each (label, lang) group,
messages are ordered by the FNV-1a 64-bit hash of their UTF-8 text (ties by text); the first
round(20% of the group) are the held-out test split, the rest train.

Use:  python3 corpus/split.py [SOURCE.jsonl ...]
With no arguments it re-reads corpus/train/*.jsonl and corpus/test/*.jsonl and rewrites them
(idempotent). Output: corpus/train/<label>.jsonl and corpus/test/<label>.jsonl, messages in
hash order, one JSON object a line with text, label, lang, channel.
"""
import glob, json, os, sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))

def fnv1a64(text):
    h = 0xcbf29ce484222325
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h

def main():
    sources = sys.argv[1:] or sorted(glob.glob(os.path.join(HERE, "train", "*.jsonl")) + glob.glob(os.path.join(HERE, "test", "*.jsonl")))
    groups = defaultdict(list)
    seen = set()
    for path in sources:
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            if not line.strip():
                continue
            o = json.loads(line)
            row = {"text": o["text"], "label": o["label"], "lang": o["lang"], "channel": o["channel"]}
            if row["text"] in seen:
                sys.exit(f"{path}:{n}: duplicate text")
            seen.add(row["text"])
            groups[(row["label"], row["lang"])].append(row)
    out = {"train": defaultdict(list), "test": defaultdict(list)}
    for (label, lang), rows in sorted(groups.items()):
        rows.sort(key=lambda r: (fnv1a64(r["text"]), r["text"]))
        k = round(0.2 * len(rows))
        out["test"][label] += rows[:k]
        out["train"][label] += rows[k:]
    for split in ("train", "test"):
        directory = os.path.join(HERE, split)
        os.makedirs(directory, exist_ok=True)
        for old in glob.glob(os.path.join(directory, "*.jsonl")):
            os.remove(old)
        for label, rows in sorted(out[split].items()):
            with open(os.path.join(directory, label + ".jsonl"), "w", encoding="utf-8") as f:
                for r in rows:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
    for split in ("train", "test"):
        print(split, sum(len(v) for v in out[split].values()))

if __name__ == "__main__":
    main()
