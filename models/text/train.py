#!/usr/bin/env python3
"""Train one size of the llama-arch code LM on the corpus train split.

Usage: train.py --size tiny|small|base --corpus DIR --tok DIR/tokenizer.model --out DIR
Writes DIR/<size>.pt and DIR/<size>.json (held-out per-token perplexity,
params, timings, greedy sample).
With --from-checkpoint PATH (the committed models/text/weights/<size>.pt, float16 tensors) no
training is done: the weights are widened to float32 and evaluated exactly as after training,
and the record keeps the steps/batch/seed the checkpoint was trained with.
"""
import argparse, json, math, os, sys, time
import numpy as np
import torch
import sentencepiece as spm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M

STEPS = {"tiny": 500, "small": 200, "base": 60}
BATCH = {"tiny": 8, "small": 8, "base": 8}
LR = {"tiny": 3e-3, "small": 2e-3, "base": 1.5e-3}
EVAL_WINDOWS = 64
PROMPT = "import os\n\n\ndef "
PROMPT2 = "class Parser:\n    def __init__(self, "


def token_ids(sp, path, cache):
    if os.path.exists(cache):
        return np.load(cache)
    ids = np.array(sp.encode(open(path, encoding="utf-8").read()), dtype=np.int16)
    np.save(cache, ids)
    return ids


@torch.no_grad()
def heldout_ppl(m, ids, ctx, windows):
    m.eval()
    n = min(windows, (len(ids) - 1) // ctx)
    tot, cnt = 0.0, 0
    for i in range(0, n, 8):
        xs = [ids[j * ctx:(j + 1) * ctx + 1] for j in range(i, min(n, i + 8))]
        b = torch.tensor(np.stack(xs).astype(np.int64))
        logits, _ = m(b[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 b[:, 1:].reshape(-1), reduction="sum")
        tot += float(loss)
        cnt += b[:, 1:].numel()
    return math.exp(tot / cnt), cnt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", required=True, choices=list(M.SIZES))
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--tok", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--from-checkpoint", default=None, help="evaluate these committed weights instead of training")
    a = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    sp = spm.SentencePieceProcessor(model_file=a.tok)
    tr = token_ids(sp, os.path.join(a.corpus, "train.txt"), os.path.join(a.out, "train_ids.npy"))
    he = token_ids(sp, os.path.join(a.corpus, "heldout.txt"), os.path.join(a.out, "heldout_ids.npy"))
    m = M.build(a.size, sp.get_piece_size())
    nparam = sum(p.numel() for p in m.parameters())
    steps, bs, ctx = a.steps or STEPS[a.size], BATCH[a.size], M.CTX
    opt = torch.optim.AdamW(m.parameters(), lr=LR[a.size], betas=(0.9, 0.95), weight_decay=0.1)
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps))))
    if a.from_checkpoint:
        ck = torch.load(a.from_checkpoint, map_location="cpu")
        if ck.get("size", a.size) != a.size:
            sys.exit(f"{a.from_checkpoint} holds size {ck.get('size')}, not {a.size}")
        m.load_state_dict({k: v.float() for k, v in ck["model"].items()})
        steps, bs, a.seed = ck.get("steps", steps), ck.get("batch", bs), ck.get("seed", a.seed)
        print(f"[{a.size}] params={nparam}: committed weights {a.from_checkpoint}", flush=True)
    else:
        print(f"[{a.size}] params={nparam} steps={steps} batch={bs}x{ctx} train_tokens={len(tr)}", flush=True)
    t0 = time.time()
    m.train()
    for s in range(0 if a.from_checkpoint else steps):
        starts = rng.integers(0, len(tr) - ctx - 1, size=bs)
        b = torch.tensor(np.stack([tr[i:i + ctx + 1] for i in starts]).astype(np.int64))
        logits, _ = m(b[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), b[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        sched.step()
        if s % 25 == 0 or s == steps - 1:
            print(f"[{a.size}] step {s} loss {loss.item():.3f} {time.time() - t0:.0f}s", flush=True)
    train_s = ck.get("train_seconds") if a.from_checkpoint else time.time() - t0
    t1 = time.time()
    ppl, ntok = heldout_ppl(m, he, ctx, EVAL_WINDOWS)
    out_ids, _ = M.greedy(m.eval(), sp.encode(PROMPT), 48)
    sample = PROMPT + sp.decode(out_ids)
    out2, _ = M.greedy(m, sp.encode(PROMPT2), 48)
    sample2 = PROMPT2 + sp.decode(out2)
    print(f"[{a.size}] heldout ppl/token {ppl:.2f} over {ntok} tokens")
    print(f"[{a.size}] greedy sample:\n{sample}\n---\n{sample2}\n---", flush=True)
    torch.save({"cfg": m.cfg, "model": m.state_dict(), "size": a.size, "seed": a.seed}, os.path.join(a.out, a.size + ".pt"))
    meta = {"size": a.size, "params": nparam, "cfg": m.cfg, "steps": steps, "batch": bs, "seed": a.seed,
            "tokens_seen": steps * bs * ctx, "train_seconds": None if train_s is None else round(train_s, 1),
            "weights": "committed models/text/weights/%s.pt" % a.size if a.from_checkpoint else "trained here",
            "eval_seconds": round(time.time() - t1, 1), "heldout_ppl_per_token": round(ppl, 3),
            "heldout_eval_tokens": ntok, "greedy_prompt": PROMPT, "greedy_sample": sample, "greedy_prompt2": PROMPT2, "greedy_sample2": sample2,
            "threads": 2, "torch": torch.__version__}
    json.dump(meta, open(os.path.join(a.out, a.size + ".json"), "w"), indent=2)


if __name__ == "__main__":
    main()
