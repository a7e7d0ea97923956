"""Shared definitions for the wattserve demo classifier family (Fashion-MNIST).

Preprocessing (exact, used by training, export checks and the pinned sample):
  image uint8 [28,28] from the IDX file -> float32 = uint8 / 255.0, no mean/std
  normalisation, layout NCHW [B,1,28,28]. Output: raw logits [B,10] (no softmax).
"""
import gzip
import os
import struct

import numpy as np
import torch
import torch.nn as nn

DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        ndim = magic & 0xFF
        dims = struct.unpack(">" + "I" * ndim, f.read(4 * ndim))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def load_split(split):
    """split: 'train' or 't10k'. Returns (float32 [N,1,28,28] in [0,1], int64 [N])."""
    x = read_idx(os.path.join(DATA_DIR, f"{split}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(DATA_DIR, f"{split}-labels-idx1-ubyte.gz"))
    x = (x.astype(np.float32) / np.float32(255.0))[:, None, :, :]
    return np.ascontiguousarray(x), y.astype(np.int64)


def _block(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]


class FashionCNN(nn.Module):
    def __init__(self, chans, hidden):
        super().__init__()
        layers = []
        cin = 1
        for c in chans:
            layers += _block(cin, c)
            cin = c
        self.features = nn.Sequential(*layers)
        side = 28
        for _ in chans:
            side //= 2
        flat = cin * side * side
        if hidden:
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(flat, hidden), nn.ReLU(),
                                      nn.Linear(hidden, 10))
        else:
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(flat, 10))

    def forward(self, x):
        return self.head(self.features(x))


# name -> (conv channels, hidden units or 0, epochs, lr)
SIZES = {
    "tiny": dict(chans=(8, 16), hidden=0, epochs=1, lr=3e-3),
    "small": dict(chans=(16, 32), hidden=32, epochs=1, lr=3e-3),
    "base": dict(chans=(32, 64), hidden=64, epochs=1, lr=2e-3),
}


def build(size):
    cfg = SIZES[size]
    return FashionCNN(cfg["chans"], cfg["hidden"])


def n_params(model):
    return sum(p.numel() for p in model.parameters())
