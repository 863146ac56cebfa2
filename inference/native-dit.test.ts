// NativeDitRunner on the CPU (issue 20): the tiny fp32 DiT through the native session with every input bound once
// gives onnxruntime-node's velocity, a second step through the same buffers follows new latents, and the Euler step
// on the bound buffers equals the scheduler's eulerStep. Skips (saying why) where the addon is not built; the
// CUDA-graph and fused-kernel variants run on the GPU host (bench/native.sh).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DitRunner } from './runners.ts';
import { convert, readManifest } from './convert.ts';
import { NativeDitRunner } from './native-dit.ts';
import { nativeAddonPath } from './runtime/native-session.ts';
import { eulerStep } from './sampling/scheduler.ts';
import { writeTinyCheckpoint } from './tiny.ts';
import type { DitConfig } from './models/z-image-dit.ts';

const skip = fs.existsSync(nativeAddonPath()) ? false : `native addon not built (${nativeAddonPath()}): npm run build:native needs a C++ compiler`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'native-dit-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('native DiT (CPU EP): same velocity as onnxruntime-node, buffers reused across steps, Euler step in place', { skip }, async () => {
  const src = path.join(tmp, 'src');
  writeTinyCheckpoint(src, 0, (f) => fs.writeFileSync(f, '{}'));
  convert({ sources: [src], out: path.join(tmp, 'm'), precision: 'fp32', components: ['dit'] });
  const dir = path.join(tmp, 'm/fp32');
  const m = readManifest(dir);
  const cfg = m.components.dit!.config as DitConfig;
  const [h, w, L] = [4, 6, 5];
  const wave = (n: number, f: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * f) * 0.8);
  const cap = wave(L * cfg.capFeatDim, 0.013);
  const ref = await DitRunner.load(dir, m, { ep: 'cpu' });
  const r = NativeDitRunner.load(dir, h, w, L, { ep: 'cpu' }, m);
  r.setCaption(cap);
  for (const [f, t] of [[0.37, 0.2], [0.11, 0.7]]) {
    const x = wave(cfg.inChannels * h * w, f);
    r.setLatents(x);
    await r.step(t);
    const got = r.velocity();
    const want = await ref.velocity(x, h, w, t, cap, L);
    assert.equal(got.length, want.length);
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    assert.ok(maxDiff < 1e-5, `max |native − onnxruntime-node| = ${maxDiff}`);
    r.euler(0.8, 0.65);
    const stepped = r.latents(), expect = eulerStep(x, got, 0.8, 0.65);
    for (let i = 0; i < expect.length; i++) assert.ok(Math.abs(stepped[i] - expect[i]) < 1e-6, `x[${i}] ${stepped[i]} vs ${expect[i]}`);
  }
  assert.throws(() => r.setLatents(new Float32Array(3)), /bytes given/);
  r.release();
  await ref.release();
});
