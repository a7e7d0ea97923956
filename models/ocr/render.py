#!/usr/bin/python3
"""Render images with known text for a future OCR accuracy test (PP-OCRv4 det/rec/cls).

Usage: /usr/bin/python3 models/ocr/render.py OUT_DIR
Writes OUT_DIR/<id>.png (8-bit RGB, black text on white) and OUT_DIR/labels.json
(list of {file, text, font, width, height}). Deterministic: fixed strings, fixed fonts, no
randomness. Two font variants per string:
  * "pil-default": PIL's built-in bitmap font (ImageFont.load_default(), ~11 px tall, Pillow 9.x),
    drawn at 1x then enlarged 4x with NEAREST (so glyphs are ~44 px tall, blocky);
  * "dejavu-sans-32": DejaVu Sans 32 px (Debian fonts-dejavu-core), only if the TTF exists.
Canvas: text + 16 px margin, then padded right/bottom with white to multiples of 32 px
(what the PP-OCR detector expects).
"""
import json
import os
import sys

from PIL import Image, ImageDraw, ImageFont

STRINGS = [
    "HELLO WORLD",
    "wattserve 2026",
    "Energy aware serving",
    "The quick brown fox jumps over the lazy dog",
    "ONNX Runtime 1.17",
    "Invoice No. 48213",
    "PRICE: 12.50 EUR",
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "Fashion MNIST",
]
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
MARGIN = 16


def pad32(img):
    w, h = img.size
    W, H = (w + 31) // 32 * 32, (h + 31) // 32 * 32
    out = Image.new("RGB", (W, H), "white")
    out.paste(img, (0, 0))
    return out


def render(text, font, scale=1):
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    x0, y0, x1, y1 = probe.textbbox((0, 0), text, font=font)
    w, h = x1 - x0, y1 - y0
    m = MARGIN // scale
    img = Image.new("RGB", (w + 2 * m, h + 2 * m), "white")
    ImageDraw.Draw(img).text((m - x0, m - y0), text, fill="black", font=font)
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    return pad32(img)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "ocr-render"
    os.makedirs(out, exist_ok=True)
    fonts = [("pil-default", ImageFont.load_default(), 4)]
    if os.path.exists(DEJAVU):
        fonts.append(("dejavu-sans-32", ImageFont.truetype(DEJAVU, 32), 1))
    labels = []
    for fname, font, scale in fonts:
        for i, text in enumerate(STRINGS):
            img = render(text, font, scale)
            file = f"{fname}-{i:02d}.png"
            img.save(os.path.join(out, file), optimize=False)
            labels.append(dict(file=file, text=text, font=fname, width=img.width,
                               height=img.height))
    with open(os.path.join(out, "labels.json"), "w") as f:
        json.dump(labels, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(labels)} images to {out}")


if __name__ == "__main__":
    main()
