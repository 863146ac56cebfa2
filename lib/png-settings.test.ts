// Tests reading settings back from PNGs: the engine's own PNG (our JSON chunk, UTF-8 prompt), an A1111 file with a
// negative prompt and quoted values, a compressed iTXt, and files with no settings or not a PNG at all.
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { test } from 'node:test';
import { encode } from 'fast-png';
import { a1111Parameters } from '../inference/pipeline/pipeline.ts';
import { encodePng } from '../inference/pipeline/png.ts';
import { parseA1111Parameters, readPngTextChunks, settingsFromPng } from './png-settings.ts';

const rgb = new Uint8Array(4 * 4 * 3);
const request = { prompt: '老渔夫的肖像, rim light', negativePrompt: 'blurry', steps: 9, cfg: 2.5, width: 832, height: 1216, seed: 9007199254740991, precision: 'fp32' as const, ep: 'cpu' as const };

test('the engine\'s PNG gives back its exact request and model from our chunk', async () => {
  const png = await encodePng(rgb, 4, 4, { parameters: a1111Parameters(request, 'Tiny'), 'zimage-studio': JSON.stringify({ request, model: { id: 'tiny', name: 'Tiny' } }) });
  const settings = await settingsFromPng(png);
  assert.deepEqual(settings, { source: 'zimage-studio', prompt: request.prompt, negativePrompt: 'blurry', steps: 9, cfg: 2.5, width: 832, height: 1216, seed: 9007199254740991, precision: 'fp32', model: 'tiny' });
});

test('an A1111 parameters text: multi-line prompt, negative prompt, quoted values with commas', () => {
  const text = 'a portrait,\nsoft light\nNegative prompt: ugly, blurry\nSteps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234, Size: 512x768, Model hash: abc, Lora hashes: "a: 1, b: 2", Version: v1.9';
  assert.deepEqual(parseA1111Parameters(text), {
    source: 'a1111', prompt: 'a portrait,\nsoft light', negativePrompt: 'ugly, blurry', steps: 20, cfg: 7, seed: 1234, width: 512, height: 768, precision: undefined,
  });
  assert.equal(parseA1111Parameters('just a prompt').prompt, 'just a prompt');
});

test('A1111 settings survive in a tEXt chunk and in a compressed iTXt chunk', async () => {
  const text = 'cat\nSteps: 8, CFG scale: 1, Seed: 5, Size: 256x256';
  const plain = encode({ width: 1, height: 1, data: new Uint8Array(3), channels: 3, depth: 8, text: { parameters: text } });
  assert.equal((await settingsFromPng(plain))?.seed, 5);
  // Build an iTXt chunk by hand: keyword\0, compressed, method 0, empty language and translated keyword.
  const body = Buffer.concat([Buffer.from('parameters\0'), Buffer.from([1, 0]), Buffer.from('\0\0'), deflateSync(Buffer.from('猫\nSteps: 4, CFG scale: 1, Seed: 6, Size: 256x512'))]);
  const chunk = Buffer.alloc(12 + body.length);
  chunk.writeUInt32BE(body.length, 0);
  chunk.write('iTXt', 4, 'latin1');
  body.copy(chunk, 8);
  const bare = encode({ width: 1, height: 1, data: new Uint8Array(3), channels: 3, depth: 8 });
  const withItxt = Buffer.concat([Buffer.from(bare.subarray(0, 33)), chunk, Buffer.from(bare.subarray(33))]);
  const settings = await settingsFromPng(new Uint8Array(withItxt));
  assert.equal(settings?.prompt, '猫');
  assert.equal(settings?.height, 512);
});

test('a PNG without settings gives null; other files are refused with what to drop', async () => {
  assert.equal(await settingsFromPng(encode({ width: 1, height: 1, data: new Uint8Array(3), channels: 3, depth: 8 })), null);
  await assert.rejects(readPngTextChunks(new Uint8Array([0xff, 0xd8, 0xff, 0, 0, 0, 0, 0])), /not a PNG/);
});
