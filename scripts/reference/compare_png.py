"""PSNR (dB) between our PNG and the reference pixels (a safetensors U8 [H,W,3] tensor from pipeline.py), plus the
PNG's text chunk keys. Decodes 8-bit RGB PNGs with zlib (no Pillow needed on the host).

  python3 compare_png.py OURS.png REF_PIXELS.safetensors
"""
import json
import struct
import sys
import zlib

import numpy as np
from safetensors.numpy import load_file


def decode_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, text, w, h = 8, b"", {}, 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color == 2, "expects 8-bit RGB"
        elif kind == b"IDAT":
            idat += body
        elif kind in (b"tEXt", b"iTXt"):
            text[body.split(b"\0", 1)[0].decode("latin1")] = len(body)
        pos += 12 + n
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, 1 + w * 3)
    out = np.zeros((h, w * 3), dtype=np.int32)
    for y in range(h):
        f, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        prev = out[y - 1] if y else np.zeros(w * 3, dtype=np.int32)
        cur = np.zeros(w * 3, dtype=np.int32)
        for x in range(w * 3):
            a = cur[x - 3] if x >= 3 else 0
            b = prev[x]
            c = prev[x - 3] if x >= 3 else 0
            if f == 0: p = 0
            elif f == 1: p = a
            elif f == 2: p = b
            elif f == 3: p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[x] = (line[x] + p) & 255
        out[y] = cur
    return out.reshape(h, w, 3).astype(np.uint8), text


if __name__ == "__main__":
    ours, text = decode_png(sys.argv[1])
    ref = load_file(sys.argv[2])["pixels"]
    mse = float(((ours.astype(np.float64) - ref.astype(np.float64)) ** 2).mean())
    psnr = float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)
    print(json.dumps({"psnr_db": psnr, "max_abs": int(np.abs(ours.astype(int) - ref.astype(int)).max()),
                      "shape": list(ours.shape), "text_chunks": text}))
