// Decoded image → 8-bit pixels, exactly as diffusers' postprocess rounds them. It deliberately writes no file
// (png.ts does) and judges nothing (health.ts does).

/** [1,3,H,W] in about [−1,1] → RGB8 [H,W,3], as the reference: clamp(x/2 + 0.5, 0, 1)·255, rounded. */
export function toPixels(image: Float32Array, width: number, height: number): Uint8Array {
  // A Uint8ClampedArray store clamps to [0,255], rounds half to even (numpy's round, as in diffusers' postprocess)
  // and turns NaN into 0, all in one conversion: 2.3× faster here than Math.round/min/max per value (51 → 22 ms, 1024²).
  const n = width * height;
  const out = new Uint8ClampedArray(n * 3);
  for (let c = 0; c < 3; c++) {
    const plane = image.subarray(c * n, (c + 1) * n);
    for (let i = 0, o = c; i < n; i++, o += 3) out[o] = plane[i] * 127.5 + 127.5; // [−1,1] → [0,255]
  }
  return new Uint8Array(out.buffer);
}
