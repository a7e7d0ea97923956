#!/usr/bin/python3
"""Export the trained Fashion-MNIST classifiers to ONNX and TorchScript and verify them.

Usage: /usr/bin/python3 models/classifier/export.py OUT_DIR [--sizes tiny,small,base]
Reads OUT_DIR/fmnist-cnn-<size>.pt + .train.json (from train.py). Writes
  OUT_DIR/fmnist-cnn-<size>.onnx        opset 17, input "image" float32 [B,1,28,28] (B dynamic),
                                        output "logits" float32 [B,10]
  OUT_DIR/fmnist-cnn-<size>.torchscript.pt  torch.jit.trace, CPU
  OUT_DIR/fmnist-cnn-<size>.verify.json verification numbers
Checks (any failure -> exit 1):
  * TorchScript vs eager torch on 256 test images: bitwise equal (torch.equal)
  * ONNX Runtime (C++ API, ort_check.cpp built against $ORT_DIR, default
    /opt/wattserve-deps/onnxruntime) vs eager torch on 256 test images: max abs diff <= 1e-4
  * accuracy on all 10k test images recomputed from the ONNX Runtime logits == the
    accuracy recorded by train.py
"""
import argparse
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
        ts = torch.jit.trace(model, torch.zeros(1, 1, 28, 28))
    ts.save(base + ".torchscript.pt")
    ts2 = torch.jit.load(base + ".torchscript.pt", map_location="cpu")
    with torch.no_grad():
        ts_out = ts2(x)
    ts_exact = bool(torch.equal(ts_out, ref))
    ts_maxdiff = float((ts_out - ref).abs().max())

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
               onnx_opset=17, onnx_input=["image", "float32", onnx_in],
               onnx_output=["logits", "float32", onnx_out],
               ort_vs_torch_images=N_CMP, ort_vs_torch_max_abs_diff=ort_maxdiff, tolerance=TOL,
               ort_test_correct=ort_correct, ort_test_accuracy=ort_acc,
               train_test_correct=rec["test_correct"], accuracy_equal=acc_equal,
               onnx_bytes=os.path.getsize(base + ".onnx"),
               torchscript_bytes=os.path.getsize(base + ".torchscript.pt"))
    ok = ts_exact and ort_maxdiff <= TOL and acc_equal
    res["ok"] = ok
    with open(base + ".verify.json", "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")
    print(f"[{size}] ts exact={ts_exact} ort maxdiff={ort_maxdiff:.3e} ort acc={ort_acc:.4f} "
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
