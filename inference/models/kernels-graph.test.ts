// The kernels formulation (issue 20): a bf16 DiT built with kernelsFormulation() uses native/kernels' fused custom
// ops (domain "zimage") — one SwiGLU per feed-forward, one QkNormRope per q and per k — instead of QuickGelu·Mul and
// RMSNorm → RotaryEmbedding, and imports the domain; fp32 graphs and the default keep onnxruntime's own ops.
// The numbers of the fused ops are checked on the GPU (bench/native.sh), where the kernels run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import onnxProto from 'onnx-proto';
import { convert, readManifest } from '../convert.ts';
import { writeTinyCheckpoint } from '../tiny.ts';
import { kernelsFormulation } from './kernels.ts';
import type { DitConfig } from './z-image-dit.ts';

const { onnx } = onnxProto;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kernels-graph-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function ditModel(dir: string) {
  const m = readManifest(dir);
  const model = onnx.ModelProto.decode(fs.readFileSync(path.join(dir, m.components.dit!.file)));
  const count: Record<string, number> = {};
  for (const n of model.graph!.node!) count[`${n.domain ? `${n.domain}:` : ''}${n.opType}`] = (count[`${n.domain ? `${n.domain}:` : ''}${n.opType}`] ?? 0) + 1;
  return { m, model, count, cfg: m.components.dit!.config as DitConfig };
}

test('kernels formulation (bf16): SwiGLU and QkNormRope custom ops replace the spelled ops, the domain is imported', () => {
  const src = path.join(tmp, 'src');
  writeTinyCheckpoint(src, 0, (f) => fs.writeFileSync(f, '{}'));
  convert({ sources: [src], out: path.join(tmp, 'k'), precision: 'bf16', formulation: kernelsFormulation() });
  convert({ sources: [src], out: path.join(tmp, 'd'), precision: 'bf16' });
  convert({ sources: [src], out: path.join(tmp, 'f'), precision: 'fp32', formulation: kernelsFormulation() });
  const k = ditModel(path.join(tmp, 'k/bf16')), d = ditModel(path.join(tmp, 'd/bf16')), f = ditModel(path.join(tmp, 'f/fp32'));
  const blocks = k.cfg.layers + 2 * k.cfg.refinerLayers; // main layers, noise refiner, context refiner
  assert.equal(k.count['zimage:SwiGLU'], blocks);
  assert.equal(k.count['zimage:QkNormRope'], 2 * blocks);
  assert.equal(d.count['com.microsoft:QuickGelu'] - k.count['com.microsoft:QuickGelu'], blocks, 'one silu per feed-forward gone');
  assert.equal(d.count.RotaryEmbedding, 2 * blocks);
  assert.equal(k.count.RotaryEmbedding ?? 0, 0);
  assert.ok(k.model.opsetImport!.some((o) => o.domain === 'zimage' && Number(o.version) === 1));
  assert.ok(!d.model.opsetImport!.some((o) => o.domain === 'zimage'));
  assert.ok(k.m.components.dit!.opTypes.includes('zimage:SwiGLU'));
  assert.equal(f.count['zimage:SwiGLU'] ?? 0, 0, 'fp32 graphs never use the bf16 kernels');
});
