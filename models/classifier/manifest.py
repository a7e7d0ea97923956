#!/usr/bin/python3
"""Write OUT_DIR/manifest.json for the Fashion-MNIST classifier family (one entry per file).

Usage: /usr/bin/python3 models/classifier/manifest.py OUT_DIR [--sizes tiny,small,base]
Needs the .train.json / .verify.json written by train.py / export.py; refuses (exit 1) to list a
model whose verification did not pass.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

LICENCE = "MIT"
LICENCE_NOTE = ("weights trained in this repository by models/classifier/train.py on "
                "Fashion-MNIST (MIT, (c) 2017 Zalando SE, "
                "https://github.com/zalandoresearch/fashion-mnist)")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def git_rev():
    try:
        return subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], check=True,
                              capture_output=True, text=True).stdout.strip()
    except Exception:
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--sizes", default="tiny,small,base")
    a = ap.parse_args()
    rev = git_rev()
    entries = []
    for size in a.sizes.split(","):
        name = f"fmnist-cnn-{size}"
        base = os.path.join(a.out_dir, name)
        tr = json.load(open(base + ".train.json"))
        ve = json.load(open(base + ".verify.json"))
        if not ve.get("ok"):
            print(f"{name}: verification failed, not listed", file=sys.stderr)
            sys.exit(1)
        for fmt, suffix, engines in (("onnx", ".onnx", ["onnxruntime"]),
                                     ("torchscript", ".torchscript.pt", ["libtorch"])):
            path = base + suffix
            entries.append(dict(
                name=name, family="fmnist-cnn", task="image-classification", size=size,
                format=fmt, engines=engines, file=os.path.basename(path),
                file_bytes=os.path.getsize(path), sha256=sha256(path),
                parameters=tr["params"],
                input=dict(name="image", dtype="float32", shape=["batch", 1, 28, 28],
                           preprocessing="uint8/255, no mean/std, NCHW"),
                output=dict(name="logits", dtype="float32", shape=["batch", 10]),
                onnx_opset=17 if fmt == "onnx" else None,
                test_accuracy=tr["test_accuracy"], test_set="Fashion-MNIST t10k (10000 images)",
                verification=dict(
                    torchscript_bitwise_equal_to_torch=ve["torchscript_bitwise_equal"],
                    ort_vs_torch_max_abs_diff=ve["ort_vs_torch_max_abs_diff"],
                    ort_vs_torch_images=ve["ort_vs_torch_images"],
                    ort_test_accuracy=ve["ort_test_accuracy"]),
                licence=LICENCE, licence_note=LICENCE_NOTE,
                provenance=dict(
                    source="trained", script="models/classifier/train.py + export.py",
                    git_rev=rev, torch=tr["torch_version"], seed=tr["seed"],
                    epochs=tr["epochs"], train_seconds=tr["train_seconds"],
                    dataset="Debian dataset-fashion-mnist, /usr/share/datasets/fashion-mnist"),
            ))
            if fmt != "onnx":
                del entries[-1]["onnx_opset"]
    out = os.path.join(a.out_dir, "manifest.json")
    with open(out, "w") as f:
        json.dump(dict(family="fmnist-cnn", models=entries), f, indent=2)
        f.write("\n")
    print(f"wrote {out} ({len(entries)} entries)")


if __name__ == "__main__":
    main()
