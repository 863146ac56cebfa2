// The manifest module and the family registry: a conversion records its family and variant, a manifest written
// before families existed reads as Z-Image's default variant, an unknown family or variant is refused with the
// known ones, and each file is claimed by exactly one component of the family.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { convert } from './convert.ts';
import { readManifest } from './manifest.ts';
import { FAMILIES } from './models/registry.ts';
import { Checkpoint } from './safetensors.ts';
import { writeTinyCheckpoint } from './tiny.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'manifest-test-'));
const src = path.join(tmp, 'src');

before(() => writeTinyCheckpoint(src, 0, (f) => fs.writeFileSync(f, '{}')));

test('a conversion records the family and its default variant; the configs are typed per component', () => {
  const { dir, manifest } = convert({ sources: [src], out: path.join(tmp, 'm'), precision: 'fp32', components: ['vae'] });
  assert.equal(manifest.family, 'z-image');
  assert.equal(manifest.variant, 'turbo');
  const read = readManifest(dir);
  assert.deepEqual([read.family, read.variant], ['z-image', 'turbo']);
  assert.deepEqual(read.components.vae!.config.upChannels, [64, 64, 32, 32]);
});

test('a manifest written before families existed reads as Z-Image turbo; an unknown family is refused', () => {
  const dir = path.join(tmp, 'old');
  fs.mkdirSync(dir, { recursive: true });
  const old = { format: 'zimage-onnx/1', name: 'old', precision: 'fp32', tiny: false, createdAt: '2026-01-01T00:00:00Z', components: {} };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(old));
  assert.deepEqual([readManifest(dir).family, readManifest(dir).variant], ['z-image', 'turbo']);
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...old, family: 'sdxl' }));
  assert.throws(() => readManifest(dir), (e: Error & { hint?: string }) => /family "sdxl"/.test(e.message) && /z-image/.test(e.hint ?? ''));
});

test('an unknown variant is refused before anything is written, naming the variants there are', () => {
  assert.throws(() => convert({ sources: [src], out: path.join(tmp, 'v'), precision: 'fp32', variant: 'edit' }),
    (e: Error & { hint?: string }) => /no variant "edit"/.test(e.message) && /turbo/.test(e.hint ?? ''));
  assert.ok(!fs.existsSync(path.join(tmp, 'v')));
});

test('each tiny component file is claimed by exactly its own component of the family', () => {
  const specs = FAMILIES['z-image'].components;
  for (const [folder, component] of [['transformer', 'dit'], ['text_encoder', 'te'], ['vae', 'vae']] as const) {
    const keys = Checkpoint.open(path.join(src, folder)).keys();
    const claimed = (['te', 'dit', 'vae'] as const).filter((c) => specs[c].claims(keys));
    assert.deepEqual(claimed, [component], folder);
    assert.equal(specs[component].diffusersFolder, folder);
  }
});
