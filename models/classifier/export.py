#!/usr/bin/python3
"""Export the trained Fashion-MNIST classifiers to ONNX and TorchScript and verify them.

Usage: /usr/bin/python3 models/classifier/export.py OUT_DIR [--sizes tiny,small,base]
Reads OUT_DIR/fmnist-cnn-<size>.pt + .train.json (from train.py). Writes
  OUT_DIR/fmnist-cnn-<size>.onnx        opset 17, input "image" float32 [B,1,28,28] (B dynamic),
                                        output "logits" float32 [B,10]
  OUT_DIR/fmnist-cnn-<size>.torchscript.pt  torch.jit.trace, CPU; forward(image) -> logits, with
                                        the extra file wattserve.json (METADATA below) that the
                                        wattserve torch engine reads for names and shapes
  OUT_DIR/fmnist-cnn-<size>.verify.json verification numbers
  OUT_DIR/fmnist-cnn-<size>.sample.json eager PyTorch on the pinned sample (data/): logits, argmax
                                        and correct count of the 64 images, which the C++ engine
                                        tests compare ONNX Runtime's and LibTorch's results with
Checks (any failure -> exit 1):
  * TorchScript vs eager torch on 256 test images: bitwise equal (torch.equal); the saved
    file carries wattserve.json
  * ONNX Runtime (C++ API, ort_check.cpp built against $ORT_DIR, default
    /opt/wattserve-deps/onnxruntime) vs eager torch on 256 test images: max abs diff <= 1e-4
  * accuracy on all 10k test images recomputed from the ONNX Runtime logits == the
    accuracy recorded by train.py
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

import numpy as np
import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import zoo_cls  # noqa: E402

ORT_DIR = os.environ.get("ORT_DIR", "/opt/wattserve-deps/onnxruntime")
TOL = 1e-4
N_CMP = 256
# The pinned sample (make_sample.py): the first 64 test images, as the C++ tests read them.
SAMPLE_IMAGES = os.path.join(HERE, "data", "fmnist_t10k_first64_images.f32")
SAMPLE_LABELS = os.path.join(HERE, "data", "fmnist_t10k_first64_labels.u8")
# TorchScript extra file for the wattserve torch engine: a traced module's schema has argument
# names but no shapes, dtypes or output names.
METADATA_FILE = "wattserve.json"
METADATA = {"kind": "classifier", "inputs": {"image": [-1, 1, 28, 28]}, "outputs": ["logits"]}


class ImageInput(torch.nn.Module):
    """The classifier with forward's argument named "image" (as the ONNX input), since a
    TorchScript module's input names are its forward() argument names."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, image):
        return self.model(image)


def build_checker(out_dir):
    bdir = os.path.join(out_dir, ".build")
    os.makedirs(bdir, exist_ok=True)
    exe = os.path.join(bdir, "ort_check")
    src = os.path.join(HERE, "ort_check.cpp")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        cmd = ["g++", "-std=c++17", "-O2", src, "-o", exe, f"-I{ORT_DIR}/include",
               f"-L{ORT_DIR}/lib", "-lonnxruntime", f"-Wl,-rpath,{ORT_DIR}/lib"]
        subprocess.run(cmd, check=True)
    return exe


def run_ort(exe, model, images, batch, tmp):
    img_path = tmp + ".in.f32"
    out_path = tmp + ".out.f32"
    images.astype("<f4").tofile(img_path)
    subprocess.run([exe, model, img_path, str(len(images)), str(batch), out_path],
                   check=True, stdout=subprocess.DEVNULL)
    logits = np.fromfile(out_path, dtype="<f4").reshape(len(images), 10)
    os.remove(img_path)
    os.remove(out_path)
    return logits


def export_one(size, xte, yte, out_dir, exe):
    name = f"fmnist-cnn-{size}"
    base = os.path.join(out_dir, name)
    with open(base + ".train.json") as f:
        rec = json.load(f)
    model = zoo_cls.build(size)
    model.load_state_dict(torch.load(base + ".pt", map_location="cpu"))
    model.eval()
    x = torch.from_numpy(xte[:N_CMP])
    with torch.no_grad():
        ref = model(x)

    # TorchScript (trace; the model has no data-dependent control flow).
    with torch.no_grad():
        ts = torch.jit.trace(ImageInput(model), torch.zeros(1, 1, 28, 28))
    ts.save(base + ".torchscript.pt", _extra_files={METADATA_FILE: json.dumps(METADATA)})
    extra = {METADATA_FILE: ""}
    ts2 = torch.jit.load(base + ".torchscript.pt", map_location="cpu", _extra_files=extra)
    ts_meta_ok = json.loads(extra[METADATA_FILE] or "null") == METADATA
    ts_args = [a.name for a in ts2.forward.schema.arguments[1:]]
    ts_meta_ok = ts_meta_ok and ts_args == list(METADATA["inputs"])
    with torch.no_grad():
        ts_out = ts2(x)
    ts_exact = bool(torch.equal(ts_out, ref))
    ts_maxdiff = float((ts_out - ref).abs().max())

    # Eager torch on the pinned sample, for the C++ tests.
    sx = np.fromfile(SAMPLE_IMAGES, dtype="<f4").reshape(-1, 1, 28, 28)
    sy = np.fromfile(SAMPLE_LABELS, dtype=np.uint8).astype(np.int64)
    with torch.no_grad():
        s_logits = model(torch.from_numpy(sx)).numpy()
    s_argmax = s_logits.argmax(1)
    root = os.path.dirname(os.path.dirname(HERE))
    with open(SAMPLE_IMAGES, "rb") as f:
        images_sha256 = hashlib.sha256(f.read()).hexdigest()
    sample = dict(name=name, images=os.path.relpath(SAMPLE_IMAGES, root),
                  images_sha256=images_sha256, labels=os.path.relpath(SAMPLE_LABELS, root),
                  count=len(sy), engine="eager PyTorch " + torch.__version__,
                  correct=int((s_argmax == sy).sum()), argmax=s_argmax.tolist(),
                  logits=[[float(v) for v in row] for row in s_logits])
    with open(base + ".sample.json.tmp", "w") as f:
        json.dump(sample, f)
        f.write("\n")
    os.replace(base + ".sample.json.tmp", base + ".sample.json")

    # ONNX
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), base + ".onnx", opset_version=17,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)
    m = onnx.load(base + ".onnx")
    onnx.checker.check_model(m)
    onnx_in = [d.dim_param or d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
    onnx_out = [d.dim_param or d.dim_value for d in m.graph.output[0].type.tensor_type.shape.dim]

    # ORT vs torch on 256 images (batch 32, exercises the dynamic batch axis).
    ort256 = run_ort(exe, base + ".onnx", xte[:N_CMP], 32, base + ".cmp")
    ort_maxdiff = float(np.abs(ort256 - ref.numpy()).max())
    # Full test-set accuracy from ONNX Runtime (batch 1000).
    ort_all = run_ort(exe, base + ".onnx", xte, 1000, base + ".all")
    ort_correct = int((ort_all.argmax(1) == yte).sum())
    ort_acc = ort_correct / len(yte)
    acc_equal = ort_correct == rec["test_correct"]

    res = dict(name=name, torchscript_bitwise_equal=ts_exact, torchscript_max_abs_diff=ts_maxdiff,
               torchscript_metadata_ok=ts_meta_ok, sample_correct=sample["correct"],
               onnx_opset=17, onnx_input=["image", "float32", onnx_in],
               onnx_output=["logits", "float32", onnx_out],
               ort_vs_torch_images=N_CMP, ort_vs_torch_max_abs_diff=ort_maxdiff, tolerance=TOL,
               ort_test_correct=ort_correct, ort_test_accuracy=ort_acc,
               train_test_correct=rec["test_correct"], accuracy_equal=acc_equal,
               onnx_bytes=os.path.getsize(base + ".onnx"),
               torchscript_bytes=os.path.getsize(base + ".torchscript.pt"))
    ok = ts_exact and ts_meta_ok and ort_maxdiff <= TOL and acc_equal
    res["ok"] = ok
    with open(base + ".verify.json", "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")
    print(f"[{size}] ts exact={ts_exact} metadata={ts_meta_ok} "
          f"sample {sample['correct']}/{len(sy)} ort maxdiff={ort_maxdiff:.3e} ort acc={ort_acc:.4f} "
          f"(train {rec['test_accuracy']:.4f}) -> {'OK' if ok else 'FAIL'}", flush=True)
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--sizes", default="tiny,small,base")
    a = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    t0 = time.time()
    exe = build_checker(a.out_dir)
    xte, yte = zoo_cls.load_split("t10k")
    ok = all([export_one(s, xte, yte, a.out_dir, exe) for s in a.sizes.split(",")])
    print(f"export+verify {time.time() - t0:.1f}s", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
