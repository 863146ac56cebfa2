// The VAE encoder on the tiny checkpoint: config and parameter count from the header, the ONNX graph against the
// independent float64 formulation (vae-encoder-reference.ts), the BFL ae.safetensors
// layout giving the same outputs, every precision built and audited, and the reference dump when present.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { auditModel } from '../audit.ts';
import { convert, readManifest } from '../convert.ts';
import { Checkpoint, writeSafetensors, type TensorToWrite } from '../safetensors.ts';
import { writeTinyCheckpoint } from '../tiny.ts';
import { VaeEncoderRunner } from '../vae-encoder-runner.ts';
import { detectVaeConfig, vaeDecoderParameterCount, vaeKeyTable } from './flux-vae.ts';
import { detectVaeEncoderConfig, vaeEncoderKeyTable, vaeEncoderParameterCount } from './flux-vae-encoder.ts';
import { referenceEncode } from './vae-encoder-reference.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-encoder-test-'));
const src = path.join(tmp, 'src');
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
const H = 32, W = 48;
// a smooth image with detail in [−1, 1]: not constant per group, so GroupNorm has work to do
const image = Float32Array.from({ length: 3 * H * W }, (_, i) => Math.sin(i * 0.37) * 0.8 + Math.cos(i * 0.011) * 0.2);

function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>) {
  assert.equal(got.length, want.length);
  let err = 0, ref = 0;
  for (let i = 0; i < got.length; i++) { err = Math.max(err, Math.abs(got[i] - want[i])); ref = Math.max(ref, Math.abs(want[i])); }
  return err / Math.max(1, ref);
}

before(() => {
  writeTinyCheckpoint(src, 0, (f) => fs.writeFileSync(f, '{}'));
  convert({ sources: [src], out: path.join(tmp, 'tiny'), precision: 'fp32', components: ['vae'] });
});

test('config from shapes; decoder + encoder parameters are every tensor of the VAE file', () => {
  const ck = Checkpoint.open(path.join(src, 'vae'));
  const dec = detectVaeConfig(ck, vaeKeyTable(ck), path.join(src, 'vae/config.json'));
  const cfg = detectVaeEncoderConfig(ck, vaeEncoderKeyTable(ck), dec);
  assert.deepEqual(cfg, { inChannels: 3, latentChannels: 16, downChannels: [32, 32, 64, 64], resnetsPerBlock: 1, groups: 32, eps: 1e-6, scalingFactor: 0.3611, shiftFactor: 0.1159 });
  const sum = (prefix: string) => ck.keys().filter((k) => k.startsWith(prefix)).reduce((s, k) => s + numel(ck.get(k).shape), 0);
  assert.equal(vaeEncoderParameterCount(cfg), sum('encoder.'));
  assert.equal(vaeDecoderParameterCount(dec) + vaeEncoderParameterCount(cfg), sum(''));
  // the real FLUX VAE (counted by hand from diffusers' Encoder): 34,274,208 encoder parameters, which with the
  // decoder's 49,545,475 make ae.safetensors' 83,819,683 (FLUX has no quant convs)
  const real = { ...cfg, downChannels: [128, 256, 512, 512], resnetsPerBlock: 2 };
  assert.equal(vaeEncoderParameterCount(real), 34_274_208);
});

describe('encoder graph vs the independent float64 formulation (tiny, fp32, CPU)', () => {
  const ck = () => Checkpoint.open(path.join(src, 'vae'));
  for (const variant of ['tiny']) {
    test(`latents, mean and log-variance (${variant}, the shipped folded GroupNorm)`, async () => {
      const dir = path.join(tmp, `${variant}/fp32`);
      const m = readManifest(dir);
      assert.ok(m.components.vae!.encoder, 'the conversion recorded the encoder');
      assert.deepEqual(m.components.vae!.encoder!.tensors.unused, []);
      const enc = await VaeEncoderRunner.load(dir, m, { ep: 'cpu' });
      const got = await enc.encode(image, H, W);
      const want = referenceEncode(ck(), image, H, W, { scaling: 0.3611, shift: 0.1159 });
      assert.deepEqual([want.h, want.w], [H / 8, W / 8]);
      for (const k of ['mean', 'logvar', 'latents'] as const) {
        const e = maxRelErr(got[k], want[k]);
        assert.ok(e < 1e-4, `${k}: max relative error ${e}`);
      }
      // the scaling is (z − shift)·scale, not its inverse
      assert.ok(Math.abs(got.latents[5] - (got.mean[5] - 0.1159) * 0.3611) < 1e-6);
      await enc.release();
    });
  }

  test('a different image gives different latents (the comparison is not vacuous)', async () => {
    const dir = path.join(tmp, 'tiny/fp32');
    const enc = await VaeEncoderRunner.load(dir, readManifest(dir), { ep: 'cpu' });
    const a = await enc.encode(image, H, W);
    const b = await enc.encode(image.map((v) => -v), H, W);
    assert.ok(maxRelErr(a.latents, b.latents) > 1e-2);
    await assert.rejects(enc.encode(image, H + 4, W), /multiple of 8/);
    await enc.release();
  });
});

test('the BFL ae.safetensors encoder layout converts to the same outputs as the diffusers layout', async () => {
  const ck = Checkpoint.open(path.join(src, 'vae'));
  const toBfl = (k: string) => k
    .replace(/^(en|de)coder\.mid_block\.resnets\.(\d)\./, (_, p, n) => `${p}coder.mid.block_${Number(n) + 1}.`)
    .replace(/^(en|de)coder\.mid_block\.attentions\.0\.group_norm\./, '$1coder.mid.attn_1.norm.')
    .replace(/^(en|de)coder\.mid_block\.attentions\.0\.to_(q|k|v)\./, '$1coder.mid.attn_1.$2.')
    .replace(/^(en|de)coder\.mid_block\.attentions\.0\.to_out\.0\./, '$1coder.mid.attn_1.proj_out.')
    .replace(/^encoder\.down_blocks\.(\d)\.resnets\.(\d)\./, 'encoder.down.$1.block.$2.')
    .replace(/^encoder\.down_blocks\.(\d)\.downsamplers\.0\.conv\./, 'encoder.down.$1.downsample.conv.')
    .replace(/^decoder\.up_blocks\.(\d)\.resnets\.(\d)\./, (_, i, j) => `decoder.up.${3 - Number(i)}.block.${j}.`)
    .replace(/^decoder\.up_blocks\.(\d)\.upsamplers\.0\.conv\./, (_, i) => `decoder.up.${3 - Number(i)}.upsample.conv.`)
    .replace(/^(en|de)coder\.conv_norm_out\./, '$1coder.norm_out.')
    .replace('.conv_shortcut.', '.nin_shortcut.');
  const bfl = ck.keys().map((k): TensorToWrite => {
    const shape = /attn_1\.(q|k|v|proj_out)\.weight$/.test(toBfl(k)) ? [...ck.get(k).shape, 1, 1] : ck.get(k).shape;
    return { key: toBfl(k), dtype: 'F32', shape, data: ck.readRaw(k) };
  });
  const file = path.join(tmp, 'ae.safetensors');
  writeSafetensors(file, bfl);
  const { dir, manifest } = convert({ sources: [file], out: path.join(tmp, 'bfl'), precision: 'fp32', components: ['vae'] });
  assert.deepEqual(manifest.components.vae!.encoder!.tensors.unused, []);
  const a = await VaeEncoderRunner.load(path.join(tmp, 'tiny/fp32'), readManifest(path.join(tmp, 'tiny/fp32')), { ep: 'cpu' });
  const b = await VaeEncoderRunner.load(dir, manifest, { ep: 'cpu' });
  assert.deepEqual((await b.encode(image, H, W)).latents, (await a.encode(image, H, W)).latents);
  await a.release();
  await b.release();
});

test('a decoder-only VAE file converts without an encoder, and the runner says how to get one', async () => {
  const ck = Checkpoint.open(path.join(src, 'vae'));
  const file = path.join(tmp, 'decoder-only.safetensors');
  writeSafetensors(file, ck.keys().filter((k) => k.startsWith('decoder.')).map((k) => ({ key: k, dtype: 'F32', shape: ck.get(k).shape, data: ck.readRaw(k) })));
  const lines: string[] = [];
  const { dir, manifest } = convert({ sources: [file], out: path.join(tmp, 'deconly'), precision: 'fp32', components: ['vae'], log: (l) => lines.push(l) });
  assert.equal(manifest.components.vae!.encoder, undefined);
  assert.ok(lines.some((l) => /no \(complete\) encoder/.test(l)));
  await assert.rejects(VaeEncoderRunner.load(dir, manifest, { ep: 'cpu' }), /has no VAE encoder: this model cannot take an image in/);
});

test('every precision builds the encoder, and the audit reads its graph with the decoder\'s', () => {
  for (const precision of ['bf16', 'fp16', 'fp16-safe'] as const) {
    convert({ sources: [src], out: path.join(tmp, 'all'), precision, components: ['vae'] });
    const a = auditModel(path.join(tmp, 'all', precision));
    const vae = a.components.find((c) => c.component === 'vae')!;
    assert.ok(a.ok, `${precision}: ${vae.problems.join('; ')}`);
    const want = precision === 'bf16' ? 'bf16' : 'fp16';
    assert.deepEqual(vae.heavyWeights, { [want]: 1 }, precision);
    assert.ok(vae.fp32Initializers.some((n) => n.startsWith('encoder.')), 'the encoder\'s GroupNorm weights are fp32 (folded)');
    assert.ok(vae.islands.some((i) => /^encoder: latent scaling/.test(i)));
  }
  // an encoder whose weights were left fp32 under a bf16 label is caught (the audit covers the encoder graph)
  const fake = path.join(tmp, 'fake/bf16');
  fs.cpSync(path.join(tmp, 'all/bf16'), fake, { recursive: true });
  for (const f of ['vae-encoder.onnx', 'vae-encoder.onnx.data']) fs.copyFileSync(path.join(tmp, 'tiny/fp32', f), path.join(fake, f));
  const a = auditModel(fake);
  assert.equal(a.ok, false);
  assert.match(a.components.find((c) => c.component === 'vae')!.problems.join(), /heavy weights are fp32/);
});

/** The PyTorch dump, once scripts/reference/components.py tiny has run on the reference host with the encoder part. */
test('encoder vs the PyTorch reference dump (when the fixture exists)', { skip: !fs.existsSync(path.join(import.meta.dirname, 'fixtures/vae_encoder.safetensors')) }, async () => {
  const f = Checkpoint.open(path.join(import.meta.dirname, 'fixtures/vae_encoder.safetensors'));
  const [, , h, w] = f.get('image').shape;
  const dir = path.join(tmp, 'tiny/fp32');
  const enc = await VaeEncoderRunner.load(dir, readManifest(dir), { ep: 'cpu' });
  const got = await enc.encode(f.readF32('image'), h, w);
  for (const k of ['mean', 'logvar', 'latents'] as const) assert.ok(maxRelErr(got[k], f.readF32(k)) < 1e-4, k);
  await enc.release();
});
