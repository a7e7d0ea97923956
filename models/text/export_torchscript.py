#!/usr/bin/env python3
"""Export a checkpoint to TorchScript (traced) with an explicit KV cache.

forward(input_ids[B,T] int64, past_len[] int64, past_key_0, past_value_0, ...,
        past_key_{L-1}, past_value_{L-1})  (each [B, H, P, Dh] float32; P may be 0)
 -> (logits[B,T,V], present_key_0, present_value_0, ...)  (each [B, H, P+T, Dh])
Usage: export_torchscript.py --ckpt X.pt --out X.ts.pt
"""
import argparse, json, os, sys
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M


class KVWrapper(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m
        self.n_layers = m.cfg["n_layers"]

    def forward(self, input_ids, past_len, *past):
        pl = [(past[2 * i], past[2 * i + 1]) for i in range(self.n_layers)]
        logits, pres = self.m(input_ids, pl, past_len)
        out = [logits]
        for k, v in pres:
            out += [k, v]
        return tuple(out)


def example_inputs(m, T=5, P=3):
    c = m.cfg
    H, Dh = c["n_heads"], c["dim"] // c["n_heads"]
    ids = torch.randint(0, c["vocab"], (1, T))
    past = []
    for _ in range(c["n_layers"]):
        past += [torch.randn(1, H, P, Dh), torch.randn(1, H, P, Dh)]
    return (ids, torch.tensor(P, dtype=torch.int64), *past)


def io_names(n_layers):
    ins = ["input_ids", "past_len"]
    outs = ["logits"]
    for i in range(n_layers):
        ins += [f"past_key_{i}", f"past_value_{i}"]
        outs += [f"present_key_{i}", f"present_value_{i}"]
    return ins, outs


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
    with torch.no_grad():
        ts = torch.jit.trace(w, example_inputs(m), check_trace=False)
    ins, outs = io_names(m.cfg["n_layers"])
    # wattserve.json: what the LibTorch engine needs to run this as a KV-cache text model.
    extra = {"wattserve.json": json.dumps({"kind": "text", "tokenizer": a.tokenizer_name, "add_bos": False,
                                           "n_layers": m.cfg["n_layers"], "n_heads": m.cfg["n_heads"],
                                           "head_dim": m.cfg["dim"] // m.cfg["n_heads"], "ctx": m.cfg["ctx"],
                                           "vocab": m.cfg["vocab"], "size": ck["size"],
                                           "inputs": ins, "outputs": outs})}
    # A traced call that creates a tensor keeps the device it was traced on as a constant; the
    # model must have none (model.count), or LibTorch could not run it on a GPU.
    pinned = [line.strip() for _, mod in ts.named_modules() if hasattr(mod, "code")
              for line in mod.code.splitlines() if "torch.device(" in line]
    if pinned:
        sys.exit("the trace pins a device, so it would not run on another: " + pinned[0])
    ts.save(a.out, _extra_files=extra)
    print(f"wrote {a.out} ({os.path.getsize(a.out)} bytes)")


if __name__ == "__main__":
    main()
