#!/usr/bin/env python3
"""Build a deterministic Python-code corpus from the local standard library.

Sources: /usr/lib/python3.11/**/*.py excluding test dirs, site-packages,
dist-packages. Split train/held-out by a stable hash of the relative path
(~95/5). Output: <out>/train.txt, <out>/heldout.txt, <out>/corpus.json.
"""
import argparse, hashlib, json, os, sys

EXCLUDE_DIRS = {"test", "tests", "idle_test", "site-packages", "dist-packages", "__pycache__"}
SEP = "\n\n"


def collect(root):
    paths = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in EXCLUDE_DIRS)
        for f in files:
            if f.endswith(".py"):
                paths.append(os.path.join(d, f))
    return sorted(paths)


def is_heldout(rel, pct=5):
    h = int(hashlib.sha256(rel.encode()).hexdigest()[:8], 16)
    return (h % 100) < pct


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--root", default="/usr/lib/python3.11")
    ap.add_argument("--max-file-bytes", type=int, default=200_000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    stats = {"train": {"files": 0, "bytes": 0}, "heldout": {"files": 0, "bytes": 0}}
    skipped = 0
    outs = {k: open(os.path.join(a.out, k + ".txt"), "w", encoding="utf-8", newline="\n") for k in stats}
    for p in collect(a.root):
        rel = os.path.relpath(p, a.root)
        try:
            with open(p, "rb") as fh:
                raw = fh.read()
            text = raw.decode("utf-8")
        except (UnicodeDecodeError, OSError):
            skipped += 1
            continue
        if len(raw) > a.max_file_bytes or not text.strip():
            skipped += 1
            continue
        text = text.replace("\r\n", "\n").replace("\t", "    ")
        k = "heldout" if is_heldout(rel) else "train"
        outs[k].write(text.rstrip("\n") + SEP)
        stats[k]["files"] += 1
        stats[k]["bytes"] += len(text.encode())
    for f in outs.values():
        f.close()
    meta = {"root": a.root, "split": "sha256(relpath)%100 < 5 -> heldout",
            "excluded_dirs": sorted(EXCLUDE_DIRS), "skipped": skipped, **stats,
            "licence": "Python standard library, PSF licence"}
    with open(os.path.join(a.out, "corpus.json"), "w") as f:
        json.dump(meta, f, indent=2)
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
