// The census on onnxruntime profiles captured on the H200 (CUDA EP, bf16; committed gzipped): nodes per provider,
// CPU nodes found, and FLOP shares computed from shapes. Plus the FLOP formulas on hand-made nodes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';
import os from 'node:os';
import { census, mergeCensus, nodeDtype, nodeFlops, parseProfile, readProfile, verdict, type ProfileNode } from './census.ts';

const fixture = (name: string) => parseProfile(JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(import.meta.dirname, 'fixtures', name))).toString()));

test('DiT bf16 on the H200: every node on CUDA, ≥ 99 % of FLOPs in bf16', () => {
  const c = census(fixture('dit-bf16-h200.profile.json.gz'), 'cuda');
  assert.deepEqual(Object.keys(c.byProvider), ['cuda']);
  assert.equal(c.offProvider.length, 0);
  assert.ok(c.flopShare.bfloat16 > 0.99, `bf16 share ${c.flopShare.bfloat16}`);
  // 2 main + 2 noise-refiner + 2 context-refiner blocks at 1024² (4096 image + 64 caption tokens): ≈ 6.9 TFLOP
  assert.ok(c.totalFlops > 6e12 && c.totalFlops < 8e12, `${c.totalFlops}`);
});

test('the default graphs (RotaryEmbedding op, fused norms, folded GroupNorm) on the H200: all CUDA, the fp32 bytes gone from the DiT', () => {
  const spelled = census(fixture('dit-bf16-h200.profile.json.gz'), 'cuda');
  const dit = census(fixture('dit-bf16-fused-h200.profile.json.gz'), 'cuda');
  assert.deepEqual(Object.keys(dit.byProvider), ['cuda']);
  assert.ok(dit.nodes < spelled.nodes, `${dit.nodes} nodes, spelled out ${spelled.nodes}`);
  // the RoPE island moved ~40 % of the DiT's bytes through fp32; the RotaryEmbedding op runs in bf16
  assert.ok((dit.bytesByDtype.float ?? 0) / dit.totalBytes < 0.01, `fp32 bytes ${dit.bytesByDtype.float} of ${dit.totalBytes}`);
  assert.ok((spelled.bytesByDtype.float ?? 0) / spelled.totalBytes > 0.3);
  assert.equal(verdict(mergeCensus([dit, census(fixture('vae-bf16-folded-h200.profile.json.gz'), 'cuda')]), 'bf16', 'cuda').level, 'green');
});

test('text encoder bf16: all CUDA, bf16 work', () => {
  const c = census(fixture('te-bf16-h200.profile.json.gz'), 'cuda');
  assert.equal(c.offProvider.length, 0);
  assert.ok(c.flopShare.bfloat16 > 0.99);
});

test('a graph with CPU nodes is caught (VAE built with the GroupNormalization op)', () => {
  const c = census(fixture('vae-bf16-groupnorm-op-h200.profile.json.gz'), 'cuda');
  assert.equal(c.byProvider.cpu, 60);
  assert.deepEqual([...new Set(c.offProvider.map((n) => n.op))].sort(), ['Concat', 'Div']);
});

test('FLOPs from shapes: MatMul, Conv, attention; dtype of Cast is its output', () => {
  const n = (op: string, inputs: [string, number[]][], outputs: [string, number[]][]): ProfileNode =>
    ({ name: op, op, provider: 'cuda', inputs: inputs.map(([type, shape]) => ({ type, shape })), outputs: outputs.map(([type, shape]) => ({ type, shape })) });
  assert.equal(nodeFlops(n('MatMul', [['bfloat16', [1, 4224, 3840]], ['bfloat16', [3840, 10240]]], [['bfloat16', [1, 4224, 10240]]])), 2 * 4224 * 3840 * 10240);
  assert.equal(nodeFlops(n('Conv', [['bfloat16', [1, 512, 128, 128]], ['bfloat16', [512, 512, 3, 3]]], [['bfloat16', [1, 512, 128, 128]]])), 2 * 512 * 128 * 128 * 512 * 9);
  assert.equal(nodeFlops(n('MultiHeadAttention', [['bfloat16', [1, 4224, 3840]], ['bfloat16', [1, 4224, 3840]]], [['bfloat16', [1, 4224, 3840]]])), 4 * 4224 * 4224 * 3840);
  assert.equal(nodeDtype(n('Cast', [['float', [4]]], [['bfloat16', [4]]])), 'bfloat16');
  assert.equal(nodeDtype(n('Reshape', [['bfloat16', [4]], ['int64', [1]]], [['bfloat16', [4]]])), 'bfloat16');
});

test('VAE bf16 with the spelled-out GroupNorm: every node on CUDA, bf16 FLOPs, fp32 bytes in the norm islands', () => {
  const c = census(fixture('vae-bf16-h200.profile.json.gz'), 'cuda');
  assert.deepEqual(Object.keys(c.byProvider), ['cuda']);
  assert.ok(c.flopShare.bfloat16 > 0.99);
  // 1024² decode ≈ 11.3 TFLOP (spec §4.3 estimates ≈ 10)
  assert.ok(c.totalFlops > 10e12 && c.totalFlops < 12.5e12, `${c.totalFlops}`);
  assert.ok(c.bytesByDtype.float > c.bytesByDtype.bfloat16, 'the fp32 GroupNorm islands dominate the bytes (a perf target)');
});

test('badges: green for the H200 bf16 run, amber with CPU nodes, red when the requested precision did not run', () => {
  const dit = census(fixture('dit-bf16-h200.profile.json.gz'), 'cuda');
  const te = census(fixture('te-bf16-h200.profile.json.gz'), 'cuda');
  const vae = census(fixture('vae-bf16-h200.profile.json.gz'), 'cuda');
  const run = mergeCensus([te, dit, vae]);
  assert.equal(run.nodes, te.nodes + dit.nodes + vae.nodes);
  const green = verdict(run, 'bf16', 'cuda');
  assert.equal(green.level, 'green');
  assert.match(green.text, /^BF16 · 99\.\d+ % of FLOPs · CUDA$/);
  const amber = verdict(census(fixture('vae-bf16-groupnorm-op-h200.profile.json.gz'), 'cuda'), 'bf16', 'cuda');
  assert.equal(amber.level, 'amber');
  assert.match(amber.reasons[0], /60 nodes ran on CPU: Div, Concat/);
  const red = verdict(run, 'fp16', 'cuda');
  assert.equal(red.level, 'red');
  assert.match(red.reasons[0], /fp16 did not run: 99\.\d % of the FLOPs ran in bfloat16/);
});

test('readProfile: line by line, the same nodes as parsing the whole file; a one-line file is parsed whole', () => {
  const text = zlib.gunzipSync(fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'dit-bf16-fused-h200.profile.json.gz'))).toString();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-'));
  try {
    const whole = parseProfile(JSON.parse(text));
    assert.ok(whole.length > 200);
    fs.writeFileSync(path.join(dir, 'p.json'), text);
    assert.deepEqual(readProfile(path.join(dir, 'p.json')), whole);
    fs.writeFileSync(path.join(dir, 'one-line.json'), JSON.stringify(JSON.parse(text)));
    assert.deepEqual(readProfile(path.join(dir, 'one-line.json')), whole);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
