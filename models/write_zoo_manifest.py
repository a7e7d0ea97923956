#!/usr/bin/python3
"""Write ZOO/manifest.json: one entry per model file of the zoo, in one schema for all families.

Usage: /usr/bin/python3 models/write_zoo_manifest.py ZOO
Reads the family manifests (ZOO/text/manifest.json, ZOO/classifier/manifest.json) and writes,
per file: name (unique), model (the name `wattserve run --model` takes), family, kind
(text|tensor), size, format, engines, file (relative to ZOO), parameters, file_bytes, sha256,
quality {metric, value, note}, licence, provenance, and the family's full entry as "details";
classifier entries also name the pinned test sample (models/classifier/data, 64 Fashion-MNIST
test images preprocessed as uint8/255, and their labels), which this script copies into the zoo
as .npy files so that `wattserve run` needs no input file. Files are written to a temporary
name and renamed.
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = {"input": "classifier/fmnist-sample-images.npy", "labels": "classifier/fmnist-sample-labels.npy"}


def save_npy(path, array):
    with open(path + ".tmp", "wb") as f:
        np.save(f, array)
    os.replace(path + ".tmp", path)


def write_samples(zoo):
    data = os.path.join(HERE, "classifier", "data")
    images = np.fromfile(os.path.join(data, "fmnist_t10k_first64_images.f32"), dtype="<f4")
    labels = np.fromfile(os.path.join(data, "fmnist_t10k_first64_labels.u8"), dtype=np.uint8)
    save_npy(os.path.join(zoo, SAMPLE["input"]), images.reshape(len(labels), 1, 28, 28))
    save_npy(os.path.join(zoo, SAMPLE["labels"]), labels.astype(np.int64))

ENGINE = {"llama.cpp": "llama", "onnxruntime": "onnx", "libtorch": "torch"}


def text_entries(zoo):
    m = json.load(open(os.path.join(zoo, "text", "manifest.json")))
    for e in m["entries"]:
        yield {
            "name": e["name"], "model": f"pycode-{e['size']}", "family": e["family"], "kind": "text",
            "size": e["size"], "format": e["format"], "engines": [ENGINE[x] for x in e["engines"]],
            "file": "text/" + e["file"], "parameters": e["parameters"], "file_bytes": e["file_bytes"],
            "sha256": e["sha256"],
            "quality": {"metric": "heldout_perplexity_per_token", "value": e["heldout_ppl_per_token"],
                        "note": e["heldout_ppl_note"]},
            "licence": e["licence"], "provenance": e["provenance"], "details": e,
        }


def classifier_entries(zoo):
    m = json.load(open(os.path.join(zoo, "classifier", "manifest.json")))
    for e in m["models"]:
        yield {
            "name": f"{e['name']}-{e['format']}", "model": e["name"], "family": e["family"],
            "kind": "tensor", "size": e["size"], "format": e["format"],
            "engines": [ENGINE[x] for x in e["engines"]], "file": "classifier/" + e["file"],
            "parameters": e["parameters"], "file_bytes": e["file_bytes"], "sha256": e["sha256"],
            "quality": {"metric": "test_accuracy", "value": e["test_accuracy"], "note": e["test_set"]},
            "licence": e["licence"], "provenance": e["provenance"], "sample": SAMPLE, "details": e,
        }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: write_zoo_manifest.py ZOO")
    zoo = sys.argv[1]
    write_samples(zoo)
    entries = list(text_entries(zoo)) + list(classifier_entries(zoo))
    names = [e["name"] for e in entries]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit(f"duplicate manifest names: {sorted(dup)}")
    for e in entries:
        if not os.path.isfile(os.path.join(zoo, e["file"])):
            sys.exit(f"manifest lists {e['file']}, which is not in {zoo}")
    out = os.path.join(zoo, "manifest.json")
    with open(out + ".tmp", "w") as f:
        json.dump({"zoo": "wattserve demo model zoo (models/README.md)", "entries": entries}, f,
                  indent=2)
        f.write("\n")
    os.replace(out + ".tmp", out)
    print(f"zoo manifest: {len(entries)} files -> {out}")


if __name__ == "__main__":
    main()
