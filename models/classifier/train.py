#!/usr/bin/python3
"""Train the wattserve demo Fashion-MNIST classifier family deterministically.

Usage: /usr/bin/python3 models/classifier/train.py OUT_DIR [--sizes tiny,small,base]

Writes OUT_DIR/fmnist-cnn-<size>.pt (state_dict) and OUT_DIR/fmnist-cnn-<size>.train.json
(parameter count, epochs, seed, test accuracy on the 10k test images, wall time).
Preprocessing: uint8/255 -> float32 [B,1,28,28], no mean/std normalisation.
Training: Adam, batch 256, cosine LR decay to 0, seed 0, torch.set_num_threads(2),
torch.use_deterministic_algorithms(True); batches from a seeded torch.Generator permutation.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zoo_cls  # noqa: E402

SEED = 0
BATCH = 256


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits = model(torch.from_numpy(x[i:i + batch]))
            correct += int((logits.argmax(1).numpy() == y[i:i + batch]).sum())
    return correct / len(x), correct


def train_one(size, xtr, ytr, xte, yte, out_dir):
    cfg = zoo_cls.SIZES[size]
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    model = zoo_cls.build(size)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    steps_per_epoch = len(xtr) // BATCH  # drop last partial batch
    total = steps_per_epoch * cfg["epochs"]
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    gen = torch.Generator().manual_seed(SEED)
    xt = torch.from_numpy(xtr)
    yt = torch.from_numpy(ytr)
    t0 = time.time()
    step = 0
    for ep in range(cfg["epochs"]):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        run_loss = 0.0
        for b in range(steps_per_epoch):
            idx = perm[b * BATCH:(b + 1) * BATCH]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            run_loss += loss.item()
        print(f"[{size}] epoch {ep + 1}/{cfg['epochs']} mean loss {run_loss / steps_per_epoch:.4f} "
              f"({time.time() - t0:.1f}s)", flush=True)
    train_s = time.time() - t0
    acc, correct = evaluate(model, xte, yte)
    name = f"fmnist-cnn-{size}"
    torch.save(model.state_dict(), os.path.join(out_dir, name + ".pt"))
    rec = dict(name=name, family="fmnist-cnn", size=size, params=zoo_cls.n_params(model),
               conv_channels=list(cfg["chans"]), hidden=cfg["hidden"], epochs=cfg["epochs"],
               steps=total, batch=BATCH, lr=cfg["lr"], optimizer="Adam+cosine", seed=SEED,
               threads=torch.get_num_threads(), torch_version=torch.__version__,
               train_seconds=round(train_s, 1), test_images=len(xte), test_correct=correct,
               test_accuracy=acc,
               preprocessing="float32 = uint8/255, NCHW [B,1,28,28], no mean/std")
    with open(os.path.join(out_dir, name + ".train.json"), "w") as f:
        json.dump(rec, f, indent=2)
        f.write("\n")
    print(f"[{size}] params {rec['params']} test acc {acc:.4f} ({correct}/10000) train {train_s:.1f}s",
          flush=True)
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--sizes", default="tiny,small,base")
    a = ap.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    xtr, ytr = zoo_cls.load_split("train")
    xte, yte = zoo_cls.load_split("t10k")
    for s in a.sizes.split(","):
        train_one(s, xtr, ytr, xte, yte, a.out_dir)


if __name__ == "__main__":
    main()
