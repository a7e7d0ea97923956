#!/usr/bin/python3
"""Write the pinned Fashion-MNIST test sample used by C++ tests (models/classifier/data/).

Usage: /usr/bin/python3 models/classifier/make_sample.py [OUT_DIR] [N]
  (defaults: models/classifier/data, 64)
Writes
  fmnist_t10k_first<N>_images.f32  N*1*28*28 little-endian float32, = uint8/255 (no mean/std),
                                   NCHW, the first N images of t10k-images-idx3-ubyte in file order
  fmnist_t10k_first<N>_labels.u8   N uint8 class ids (0..9), same order
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import zoo_cls  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "data")
n = int(sys.argv[2]) if len(sys.argv) > 2 else 64
os.makedirs(out, exist_ok=True)
x, y = zoo_cls.load_split("t10k")
x, y = x[:n], y[:n]
stem = os.path.join(out, f"fmnist_t10k_first{n}")
x.astype("<f4").tofile(stem + "_images.f32")
y.astype(np.uint8).tofile(stem + "_labels.u8")
print(stem, x.shape, "labels", y.tolist())
