#!/usr/bin/python3
"""Write a random-weight GGUF with the exact tensor shapes of a real open model, and that
model family's real tokenizer vocabulary copied from one of llama.cpp's test vocabularies
(models/ggml-vocab-*.gguf). Latency and energy measured on it are those of the real shape;
its text is meaningless (the weights are random).

Usage: make_replica.py --shape gpt2-124m|qwen2-0.5b --out FILE.gguf [--type f16|q8_0]
       [--vocab-dir DIR] [--seed N] [--info FILE.json]
Weights: N(0, 0.02) for matrices and embeddings, 1 for norm weights, 0 for biases; numpy
PCG64 with the given seed, so the file is reproducible byte for byte. The file is written to
a temporary name and renamed.
"""
import argparse
import json
import os
import sys

import numpy as np

LLAMA_SRC = os.environ.get("LLAMA_SRC", "/opt/wattserve-deps/llama.cpp/src")
sys.path.insert(0, os.path.join(LLAMA_SRC, "gguf-py"))
import gguf  # noqa: E402
from gguf import quants  # noqa: E402

# Hyper-parameters of the real models (their config.json on the Hugging Face Hub).
SHAPES = {
    "gpt2-124m": dict(arch="gpt2", vocab_file="ggml-vocab-gpt-2.gguf", real="openai-community/gpt2",
                      n_layer=12, n_embd=768, n_head=12, n_head_kv=12, n_ff=3072, n_ctx=1024,
                      eps=1e-5, vocab=50257),
    "qwen2-0.5b": dict(arch="qwen2", vocab_file="ggml-vocab-qwen2.gguf", real="Qwen/Qwen2-0.5B",
                       n_layer=24, n_embd=896, n_head=14, n_head_kv=2, n_ff=4864, n_ctx=32768,
                       eps=1e-6, rope_base=1e6, vocab=151936),
}
TYPES = {"f16": (gguf.GGMLQuantizationType.F16, gguf.LlamaFileType.MOSTLY_F16),
         "q8_0": (gguf.GGMLQuantizationType.Q8_0, gguf.LlamaFileType.MOSTLY_Q8_0)}


def tensors(s):
    """(name, ggml shape ne) of every tensor the llama.cpp loader reads for this architecture."""
    d, ff, v = s["n_embd"], s["n_ff"], s["vocab"]
    kv = d // s["n_head"] * s["n_head_kv"]
    out = [("token_embd.weight", (d, v))]
    if s["arch"] == "gpt2":
        out += [("position_embd.weight", (d, s["n_ctx"])), ("output_norm.weight", (d,)),
                ("output_norm.bias", (d,))]  # tied: llama.cpp reuses token_embd
        for i in range(s["n_layer"]):
            b = f"blk.{i}."
            out += [(b + "attn_norm.weight", (d,)), (b + "attn_norm.bias", (d,)),
                    (b + "attn_qkv.weight", (d, 3 * d)), (b + "attn_qkv.bias", (3 * d,)),
                    (b + "attn_output.weight", (d, d)), (b + "attn_output.bias", (d,)),
                    (b + "ffn_norm.weight", (d,)), (b + "ffn_norm.bias", (d,)),
                    (b + "ffn_up.weight", (d, ff)), (b + "ffn_up.bias", (ff,)),
                    (b + "ffn_down.weight", (ff, d)), (b + "ffn_down.bias", (d,))]
    else:  # qwen2 (0.5B ties its embeddings, as GPT-2 does), q/k/v biases
        out += [("output_norm.weight", (d,))]
        for i in range(s["n_layer"]):
            b = f"blk.{i}."
            out += [(b + "attn_norm.weight", (d,)),
                    (b + "attn_q.weight", (d, d)), (b + "attn_q.bias", (d,)),
                    (b + "attn_k.weight", (d, kv)), (b + "attn_k.bias", (kv,)),
                    (b + "attn_v.weight", (d, kv)), (b + "attn_v.bias", (kv,)),
                    (b + "attn_output.weight", (d, d)), (b + "ffn_norm.weight", (d,)),
                    (b + "ffn_gate.weight", (d, ff)), (b + "ffn_up.weight", (d, ff)),
                    (b + "ffn_down.weight", (ff, d))]
    return out


def copy_tokenizer(w, vocab_path):
    r = gguf.GGUFReader(vocab_path)
    copied = 0
    for name, field in r.fields.items():
        if not name.startswith("tokenizer."):
            continue
        vtype = field.types[0]
        if vtype == gguf.GGUFValueType.ARRAY:
            w.add_key_value(name, field.contents(), vtype, sub_type=field.types[-1])
        else:
            w.add_key_value(name, field.contents(), vtype)
        copied += 1
    return copied


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", required=True, choices=list(SHAPES))
    ap.add_argument("--out", required=True)
    ap.add_argument("--type", default="f16", choices=list(TYPES))
    ap.add_argument("--vocab-dir", default=os.path.join(LLAMA_SRC, "models"))
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--info", help="write the replica's facts (parameters, shapes) here as JSON")
    a = ap.parse_args()
    s = SHAPES[a.shape]
    qtype, ftype = TYPES[a.type]
    tmp = a.out + ".tmp"
    w = gguf.GGUFWriter(tmp, s["arch"])
    w.add_name(f"wattserve-replica-{a.shape} (random weights, shape of {s['real']})")
    w.add_context_length(s["n_ctx"])
    w.add_embedding_length(s["n_embd"])
    w.add_block_count(s["n_layer"])
    w.add_feed_forward_length(s["n_ff"])
    w.add_head_count(s["n_head"])
    w.add_head_count_kv(s["n_head_kv"])
    if s["arch"] == "gpt2":
        w.add_layer_norm_eps(s["eps"])
    else:
        w.add_layer_norm_rms_eps(s["eps"])
        w.add_rope_freq_base(s["rope_base"])
    w.add_file_type(int(ftype))
    n_kv = copy_tokenizer(w, os.path.join(a.vocab_dir, s["vocab_file"]))
    rng = np.random.Generator(np.random.PCG64(a.seed))
    params = 0
    for name, ne in tensors(s):
        shape = tuple(reversed(ne))  # numpy order
        params += int(np.prod(shape))
        if name.endswith(".bias"):
            arr = np.zeros(shape, np.float32)
        elif len(shape) == 1:
            arr = np.ones(shape, np.float32)
        else:
            arr = rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02)
        if len(shape) == 2:
            q = quants.quantize(arr, qtype)
            w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=qtype)
        else:
            w.add_tensor(name, arr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, a.out)
    info = {"shape": a.shape, "real_model": s["real"], "architecture": s["arch"], "parameters": params,
            "type": a.type, "seed": a.seed, "tokenizer_from": s["vocab_file"], "tokenizer_kv": n_kv,
            "hparams": {k: v for k, v in s.items() if k not in ("arch", "vocab_file", "real")}}
    if a.info:
        with open(a.info + ".tmp", "w") as f:
            json.dump(info, f, indent=2)
        os.replace(a.info + ".tmp", a.info)
    print(f"wrote {a.out}: {a.shape}, {params / 1e6:.1f} M parameters, {a.type}, "
          f"{os.path.getsize(a.out)} bytes")


if __name__ == "__main__":
    main()
