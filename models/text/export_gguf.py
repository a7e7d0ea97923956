#!/usr/bin/env python3
"""Export a trained checkpoint to GGUF (arch "llama") with the SentencePiece
vocabulary embedded (tokenizer.ggml.model = "llama").

Usage: export_gguf.py --ckpt X.pt --tok tokenizer.model --out X.gguf [--type f32|q8_0|q4_0]
No Q/K permutation: model.py already uses llama.cpp's adjacent-pair RoPE.
The model was trained without BOS, so add_bos_token=false; add_space_prefix=false
matches the tokenizer (add_dummy_prefix=False).
"""
import argparse, os, sys
import numpy as np

GGUF_PY = os.environ.get("GGUF_PY", "/opt/wattserve-deps/llama.cpp/src/gguf-py")
sys.path.insert(0, GGUF_PY)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf  # noqa: E402
from gguf import quants  # noqa: E402
import sentencepiece as spm  # noqa: E402
import model as M  # noqa: E402

QT = {"f32": (None, gguf.LlamaFileType.ALL_F32),
      "q8_0": (gguf.GGMLQuantizationType.Q8_0, gguf.LlamaFileType.MOSTLY_Q8_0),
      "q4_0": (gguf.GGMLQuantizationType.Q4_0, gguf.LlamaFileType.MOSTLY_Q4_0)}


def tensor_map(n_layers):
    m = {"tok.weight": "token_embd.weight", "norm.weight": "output_norm.weight", "out.weight": "output.weight"}
    for i in range(n_layers):
        for src, dst in [("attn_norm.weight", "attn_norm"), ("wq.weight", "attn_q"), ("wk.weight", "attn_k"),
                         ("wv.weight", "attn_v"), ("wo.weight", "attn_output"), ("ffn_norm.weight", "ffn_norm"),
                         ("w_gate.weight", "ffn_gate"), ("w_up.weight", "ffn_up"), ("w_down.weight", "ffn_down")]:
            m[f"layers.{i}.{src}"] = f"blk.{i}.{dst}.weight"
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tok", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--type", default="f32", choices=list(QT))
    a = ap.parse_args()
    m, ck = M.load(a.ckpt)
    c = m.cfg
    qtype, ftype = QT[a.type]
    w = gguf.GGUFWriter(a.out, "llama")
    w.add_name(f"wattserve-pycode-{ck['size']}")
    w.add_context_length(c["ctx"])
    w.add_embedding_length(c["dim"])
    w.add_block_count(c["n_layers"])
    w.add_feed_forward_length(c["ffn"])
    w.add_head_count(c["n_heads"])
    w.add_head_count_kv(c["n_heads"])
    w.add_rope_dimension_count(c["dim"] // c["n_heads"])
    w.add_rope_freq_base(c["rope_base"])
    w.add_layer_norm_rms_eps(c["eps"])
    w.add_vocab_size(c["vocab"])
    w.add_file_type(int(ftype))

    sp = spm.SentencePieceProcessor(model_file=a.tok)
    toks, scores, types = [], [], []
    for i in range(sp.get_piece_size()):
        toks.append(sp.id_to_piece(i).encode("utf-8"))
        scores.append(float(sp.get_score(i)))
        if sp.is_unknown(i):
            t = gguf.TokenType.UNKNOWN
        elif sp.is_control(i):
            t = gguf.TokenType.CONTROL
        elif sp.is_byte(i):
            t = gguf.TokenType.BYTE
        elif sp.is_unused(i):
            t = gguf.TokenType.UNUSED
        else:
            t = gguf.TokenType.NORMAL
        types.append(int(t))
    assert len(toks) == c["vocab"]
    w.add_tokenizer_model("llama")
    w.add_token_list(toks)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_unk_token_id(sp.unk_id())
    w.add_bos_token_id(sp.bos_id())
    w.add_eos_token_id(sp.eos_id())
    w.add_pad_token_id(sp.unk_id())  # no pad piece in the tokenizer; unk doubles as pad
    w.add_add_bos_token(False)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(False)

    names = tensor_map(c["n_layers"])
    sd = m.state_dict()
    assert set(sd) == set(names), set(sd) ^ set(names)
    for k, v in sd.items():
        arr = v.detach().float().numpy().astype(np.float32)
        if qtype is not None and arr.ndim == 2:
            q = quants.quantize(arr, qtype)
            w.add_tensor(names[k], q, raw_shape=q.shape, raw_dtype=qtype)
        else:
            w.add_tensor(names[k], arr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {a.out} ({os.path.getsize(a.out)} bytes, {a.type})")


if __name__ == "__main__":
    main()
