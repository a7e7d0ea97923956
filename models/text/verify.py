#!/usr/bin/env python3
"""Compare an exported artefact against the PyTorch checkpoint on one prompt.

verify.py --ckpt X.pt --tok tokenizer.model --kind gguf --checker BIN --file X.gguf
verify.py --ckpt X.pt --tok tokenizer.model --kind ts   --file X.ts.pt
verify.py --ckpt X.pt --tok tokenizer.model --kind onnx --checker BIN --file X.onnx
Prints one JSON line: prompt ids equal, greedy ids equal (and first index that
differs), max abs diff of the first-step logits.
"""
import argparse, json, os, subprocess, sys
import numpy as np
import torch
import sentencepiece as spm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M

PROMPT = "class Parser:\n    def __init__(self, "
N = 32


def run_ts(path, ids, n, cfg):
    m = torch.jit.load(path)
    x = torch.tensor([ids])
    first, out = None, []
    H, Dh = cfg["n_heads"], cfg["dim"] // cfg["n_heads"]
    past = [torch.zeros(1, H, 0, Dh) for _ in range(2 * cfg["n_layers"])]  # empty cache
    for s in range(n):
        plen = torch.tensor(past[0].shape[2], dtype=torch.int64)
        with torch.no_grad():
            res = m(x, plen, *past)
        logits, past = res[0], list(res[1:])
        if s == 0:
            first = logits[0, -1].numpy()
        nxt = int(logits[0, -1].argmax())
        out.append(nxt)
        x = torch.tensor([[nxt]])
    return ids, out, first


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tok", required=True)
    ap.add_argument("--kind", required=True, choices=["gguf", "onnx", "ts"])
    ap.add_argument("--file", required=True)
    ap.add_argument("--checker")
    a = ap.parse_args()
    torch.set_num_threads(2)
    m, ck = M.load(a.ckpt)
    sp = spm.SentencePieceProcessor(model_file=a.tok)
    ids = sp.encode(PROMPT)
    ref_ids, ref_first = M.greedy(m, ids, N)
    ref_first = ref_first.numpy()
    if a.kind == "ts":
        p_ids, g_ids, first = run_ts(a.file, ids, N, m.cfg)
    else:
        arg = PROMPT if a.kind == "gguf" else ",".join(map(str, ids))
        r = subprocess.run([a.checker, a.file, arg, str(N)], capture_output=True, text=True, check=True)
        j = json.loads(r.stdout)
        p_ids, g_ids, first = j["prompt_ids"], j["greedy_ids"], np.array(j["first_logits"], dtype=np.float32)
    diff = [i for i, (x, y) in enumerate(zip(ref_ids, g_ids)) if x != y]
    res = {"kind": a.kind, "file": os.path.basename(a.file), "prompt_ids_equal": list(p_ids) == list(ids),
           "greedy_ids_equal": not diff, "first_greedy_mismatch": diff[0] if diff else None,
           "greedy_n": N, "max_abs_logit_diff": float(np.abs(first - ref_first).max()),
           "ref_logit_absmax": float(np.abs(ref_first).max()), "prompt": PROMPT,
           "ref_greedy_text": sp.decode(ref_ids), "greedy_text": sp.decode(list(g_ids))}
    print(json.dumps(res))


if __name__ == "__main__":
    main()
