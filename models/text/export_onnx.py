#!/usr/bin/env python3
"""Export a checkpoint to ONNX (opset 17) with an explicit KV cache.

Inputs : input_ids [batch, seq] int64, past_len [] int64,
         past_key_i / past_value_i [batch, H, past_seq, Dh] float32 (past_seq may be 0)
Outputs: logits [batch, seq, V], present_key_i / present_value_i [batch, H, past_seq+seq, Dh]
Usage: export_onnx.py --ckpt X.pt --out X.onnx
"""
import argparse, os, sys
import torch
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M
from export_torchscript import KVWrapper, example_inputs, io_names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tokenizer-name", default="pycode-tokenizer.model",
                    help="SentencePiece model file, relative to the exported model's folder")
    a = ap.parse_args()
    torch.manual_seed(0)
    m, ck = M.load(a.ckpt)
    w = KVWrapper(m).eval()
    ins, outs = io_names(m.cfg["n_layers"])
    dyn = {"input_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}}
    for n in ins[2:]:
        dyn[n] = {0: "batch", 2: "past_seq"}
    for n in outs[1:]:
        dyn[n] = {0: "batch", 2: "total_seq"}
    with torch.no_grad():
        torch.onnx.export(w, example_inputs(m), a.out, input_names=ins, output_names=outs,
                          dynamic_axes=dyn, opset_version=17, do_constant_folding=True)
    mo = onnx.load(a.out)
    onnx.checker.check_model(mo)
    for k, v in {"producer": "wattserve models/text", "size": ck["size"], "vocab": str(m.cfg["vocab"]),
                 "n_layers": str(m.cfg["n_layers"]), "n_heads": str(m.cfg["n_heads"]),
                 "head_dim": str(m.cfg["dim"] // m.cfg["n_heads"]), "ctx": str(m.cfg["ctx"]),
                 # read by wattserve's ONNX engine to run this as a KV-cache text model
                 "wattserve.kind": "text", "wattserve.tokenizer": a.tokenizer_name,
                 "wattserve.add_bos": "0"}.items():
        e = mo.metadata_props.add()
        e.key, e.value = k, v
    onnx.save(mo, a.out)
    print(f"wrote {a.out} ({os.path.getsize(a.out)} bytes)")


if __name__ == "__main__":
    main()
