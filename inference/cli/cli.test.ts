// The CLI end to end on the tiny model, on the CPU: tiny → convert (fp32) → eval → generate a PNG with the A1111
// and JSON metadata chunks; and bad arguments: one clear error each, a non-zero exit, nothing written.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { decode } from 'fast-png';
import { Checkpoint, f32Tensor, writeSafetensors } from '../safetensors.ts';
import { readPngInfo } from '../pipeline/png.ts';
import { writeTestLora } from '../lora/test-loras.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-test-'));
const CLI = path.join(import.meta.dirname, 'zimage.ts');
const weights = path.join(tmp, 'weights');

function zimage(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', cwd: path.join(import.meta.dirname, '../..') });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(() => {
  const t = zimage('tiny', '--out', path.join(tmp, 'tiny-src'), '--seed', '0');
  assert.equal(t.code, 0, t.err);
  const c = zimage('convert', path.join(tmp, 'tiny-src'), '--out', path.join(weights, 'tiny'), '--precision', 'fp32');
  assert.equal(c.code, 0, c.err);
});

describe('zimage CLI on the tiny model (CPU, fp32)', () => {
  test('convert wrote the three graphs and a manifest with hashes and tensor counts', () => {
    const m = JSON.parse(fs.readFileSync(path.join(weights, 'tiny/fp32/manifest.json'), 'utf8'));
    assert.deepEqual(Object.keys(m.components).sort(), ['dit', 'te', 'vae']);
    for (const c of Object.values(m.components) as { source: { files: { sha256: string }[] }; tensors: { unused: string[] } }[]) {
      assert.match(c.source.files[0].sha256, /^[0-9a-f]{64}$/);
      assert.deepEqual(c.tensors.unused, []);
    }
    assert.ok(fs.existsSync(path.join(weights, 'tiny/fp32/tokenizer.json')));
  });

  test('eval runs each component from a tensor file', () => {
    const input = path.join(tmp, 'vae_in.safetensors');
    writeSafetensors(input, [f32Tensor('latents', [1, 16, 2, 3], Float32Array.from({ length: 96 }, (_, i) => Math.sin(i)))]);
    const r = zimage('eval', 'vae', '--model', path.join(weights, 'tiny/fp32'), '--in', input, '--out', path.join(tmp, 'vae_out.safetensors'));
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(Checkpoint.open(path.join(tmp, 'vae_out.safetensors')).get('image').shape, [1, 3, 16, 24]);
  });

  test('generate writes a PNG carrying the A1111 parameters and our JSON metadata', () => {
    const out = path.join(tmp, 'out', 'portrait.png');
    const r = zimage('generate', '--model', path.join(weights, 'tiny'), '--prompt', '一位老渔夫的肖像, soft light', '--steps', '3',
      '--width', '128', '--height', '96', '--seed', '42', '--out', out, '--quiet');
    assert.equal(r.code, 0, r.err);
    const info = readPngInfo(fs.readFileSync(out));
    assert.deepEqual([info.width, info.height], [128, 96]);
    assert.match(info.text.parameters, /^一位老渔夫的肖像, soft light\nSteps: 3, Sampler: Euler, .*CFG scale: 1, Seed: 42, Size: 128x96/);
    const meta = JSON.parse(info.text['zimage-studio']);
    assert.equal(meta.request.seed, 42);
    assert.deepEqual(meta.components.map((c: { precision: string; ep: string }) => `${c.precision}@${c.ep}`), ['fp32@cpu', 'fp32@cpu', 'fp32@cpu']);
    for (const phase of ['validate', 'encode', 'noise', 'denoise', 'decode']) assert.ok(meta.timings[phase] >= 0, phase);
  });

  test('the same seed gives the same image; another seed does not', () => {
    const gen = (seed: string, name: string) => {
      const out = path.join(tmp, name);
      assert.equal(zimage('generate', '--model', path.join(weights, 'tiny'), '--prompt', 'x', '--steps', '2', '--width', '64', '--height', '64', '--seed', seed, '--out', out, '--quiet').code, 0);
      return Buffer.from(decode(fs.readFileSync(out)).data as Uint8Array); // pixels: the metadata holds timings
    };
    const a = gen('7', 'a.png'), b = gen('7', 'b.png'), c = gen('8', 'c.png');
    assert.ok(a.equals(b));
    assert.ok(!a.equals(c));
  });

  const bad: [string, string[], RegExp][] = [
    ['steps 0', ['--steps', '0'], /steps: must be an integer from 1 to 100/],
    ['size not a multiple of 16', ['--width', '1000'], /width: must be a multiple of 16 .*got 1000/],
    ['unknown precision', ['--precision', 'fp8'], /--precision must be one of bf16, fp16, fp16-safe, fp32/],
    ['missing model dir', ['--model', path.join(tmp, 'nope')], /does not exist/],
    ['bf16 on the CPU', ['--precision', 'bf16', '--ep', 'cpu'], /no bf16 conversion|bf16/],
  ];
  for (const [name, args, message] of bad) {
    test(`bad argument: ${name} → one clear error, exit ≠ 0, nothing written`, () => {
      const out = path.join(tmp, 'bad', `${name.replace(/\W+/g, '-')}.png`);
      const base = ['--model', path.join(weights, 'tiny'), '--prompt', 'p', '--width', '64', '--height', '64', '--out', out];
      const r = zimage('generate', ...base, ...args);
      assert.notEqual(r.code, 0);
      assert.match(r.err, message);
      assert.equal(r.err.trim().split('\n').filter((l) => l.startsWith('zimage:')).length, 1);
      assert.ok(!fs.existsSync(out));
    });
  }
});

describe('low-memory paths keep the precision', () => {
  test('--low-vram (components one at a time) and --tiled-vae give a valid image, labelled as such', () => {
    const out = path.join(tmp, 'lowvram.png');
    const r = zimage('generate', '--model', path.join(weights, 'tiny'), '--prompt', 'p', '--steps', '2', '--width', '128', '--height', '128',
      '--seed', '1', '--low-vram', '--tiled-vae', '--cfg', '2', '--out', out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /fp32 on cpu, tiled VAE, components loaded one at a time/);
    const meta = JSON.parse(readPngInfo(fs.readFileSync(out)).text['zimage-studio']);
    assert.equal(meta.residency, 'sequential');
    assert.equal(meta.vae.tiled, true);
    assert.deepEqual(meta.components.map((c: { precision: string }) => c.precision), ['fp32', 'fp32', 'fp32']);
  });
});

describe('convert diagnoses what it was given', () => {
  test('an index with a missing shard: exit 1, one message naming the shard, no stack trace', () => {
    const dir = path.join(tmp, 'missing-shard');
    fs.mkdirSync(dir, { recursive: true });
    writeSafetensors(path.join(dir, 'model-00001-of-00002.safetensors'), [f32Tensor('a', [1], Float32Array.of(1))]);
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } }));
    const r = zimage('convert', dir, '--out', path.join(tmp, 'never'), '--precision', 'fp32');
    assert.equal(r.code, 1);
    assert.match(r.err, /^zimage: .*1 is missing: model-00002-of-00002\.safetensors/m);
    assert.match(r.err, /hint: download the missing shard/);
    assert.doesNotMatch(r.err, /ENOENT|\n\s+at /);
  });
});

describe('--lora FILE[:WEIGHT]', () => {
  test('two LoRAs (the second in --low-vram residency too) change the pixels and are written as A1111 does: <lora:NAME:W> and Lora hashes', () => {
    const dim = 64;
    const a = path.join(tmp, 'film grain.safetensors'), b = path.join(tmp, 'kohya-style.safetensors');
    writeTestLora(a, 'ai-toolkit', [{ path: 'layers.0.attention.to_q', out: dim, in: dim }, { path: 'layers.1.feed_forward.w1', out: 170, in: dim }], { alpha: 4 });
    writeTestLora(b, 'kohya', [{ path: 'layers.0.adaLN_modulation.0', out: 4 * dim, in: dim }], { alpha: 2, seed: 7 });
    const gen = (name: string, ...extra: string[]) => {
      const out = path.join(tmp, name);
      const r = zimage('generate', '--model', path.join(weights, 'tiny'), '--prompt', 'x', '--steps', '2', '--width', '64', '--height', '64', '--seed', '7', '--out', out, '--quiet', ...extra);
      assert.equal(r.code, 0, r.err);
      return { pixels: Buffer.from(decode(fs.readFileSync(out)).data as Uint8Array), info: readPngInfo(fs.readFileSync(out)).text };
    };
    const plain = gen('nolora.png');
    const withLoras = gen('lora.png', '--lora', `${a}:0.8`, '--lora', b);
    const sequential = gen('lora-seq.png', '--lora', `${a}:0.8`, '--lora', b, '--low-vram');
    assert.ok(!plain.pixels.equals(withLoras.pixels), 'the LoRAs change the image');
    assert.ok(sequential.pixels.equals(withLoras.pixels), 'the same stack in sequential residency: the same image');
    const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    assert.match(withLoras.info.parameters, /^x <lora:film grain:0\.8> <lora:kohya-style:1>\n/);
    assert.ok(withLoras.info.parameters.includes(`Lora hashes: "film grain: ${sha(a).slice(0, 12)}, kohya-style: ${sha(b).slice(0, 12)}"`), withLoras.info.parameters);
    const meta = JSON.parse(withLoras.info['zimage-studio']);
    assert.deepEqual(meta.loras.map((l: { sha256: string }) => l.sha256), [sha(a), sha(b)]);
    assert.deepEqual(meta.loras[1].layers, { 'layers.*.adaLN_modulation.0': 1 });
  });

  test('a missing LoRA file is one clear error before anything loads', () => {
    const r = zimage('generate', '--model', path.join(weights, 'tiny'), '--prompt', 'p', '--width', '64', '--height', '64', '--out', path.join(tmp, 'x.png'), '--lora', path.join(tmp, 'nope.safetensors:0.5'));
    assert.notEqual(r.code, 0);
    assert.match(r.err, /--lora .*nope\.safetensors does not exist/);
  });
});
