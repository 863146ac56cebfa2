// Tests the JPEG and WebP conversion of an engine PNG: real encoders (sharp), read back for format and size;
// output_compression changes the JPEG's size; PNG passes through untouched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from 'fast-png';
import sharp from 'sharp';
import { encodeImage } from './image-encode.ts';

function noisePng(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  let state = 7;
  for (let index = 0; index < data.length; index++) data[index] = (state = (state * 1103515245 + 12345) >>> 0) >>> 24;
  return encode({ width, height, data, channels: 3, depth: 8 });
}

test('jpeg and webp come back in their format and the PNG\'s size; compression trades bytes', async () => {
  const png = noisePng(64, 48);
  assert.equal(await encodeImage(png, 'png', 10), png);
  for (const format of ['jpeg', 'webp'] as const) {
    const bytes = await encodeImage(png, format, 90);
    const meta = await sharp(bytes).metadata();
    assert.equal(meta.format, format);
    assert.equal(meta.width, 64);
    assert.equal(meta.height, 48);
  }
  const jpeg = await encodeImage(png, 'jpeg', 90);
  assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  const small = await encodeImage(png, 'jpeg', 20);
  assert.ok(small.length < jpeg.length, `quality 20 (${small.length} B) is smaller than 90 (${jpeg.length} B)`);
  const webp = await encodeImage(png, 'webp', 90);
  assert.equal(Buffer.from(webp.subarray(8, 12)).toString('latin1'), 'WEBP');
});
