// PNG encoding round trip (pixels through fast-png's decoder, text chunks through ours), Chinese text as iTXt,
// and the reader's limits on untrusted files.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode } from 'fast-png';
import { encodePng, PNG_TEXT_LIMITS, readPngInfo } from './png.ts';

test('pixels and text survive the round trip; non-Latin-1 text goes to iTXt', async () => {
  const w = 37, h = 23;
  const px = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 31 + (i >> 7)) & 255);
  const png = await encodePng(px, w, h, { parameters: '一位老渔夫的肖像\nSteps: 8', simple: 'ascii text' });
  const img = decode(png);
  assert.deepEqual([img.width, img.height, img.channels], [w, h, 3]);
  assert.deepEqual(Buffer.from(img.data as Uint8Array), Buffer.from(px));
  const info = readPngInfo(png);
  assert.equal(info.text.parameters, '一位老渔夫的肖像\nSteps: 8');
  assert.equal(info.text.simple, 'ascii text');
  assert.ok(Buffer.from(png).includes(Buffer.from('iTXtparameters')));
});

test('a large image is compressed in parallel segments that decode as one stream (zlib and a PNG decoder agree)', async () => {
  const w = 640, h = 480; // 0.9 MB of scanlines: 3 segments
  const px = Uint8Array.from({ length: w * h * 3 }, (_, i) => ((i % 1920) * 7 + Math.floor(i / 1920) * 3 + ((i * 2654435761) >>> 28)) & 255);
  const png = await encodePng(px, w, h);
  const img = decode(png);
  assert.deepEqual(Buffer.from(img.data as Uint8Array), Buffer.from(px));
});

test('untrusted files: bad signatures, truncated chunks and oversized text are refused', async () => {
  assert.throws(() => readPngInfo(Buffer.from('GIF89a not a png at all, certainly not...')), /missing PNG signature/);
  const good = Buffer.from(await encodePng(new Uint8Array(12), 2, 2, { a: 'b' }));
  assert.throws(() => readPngInfo(good.subarray(0, 45)), /runs past the end/);
  const big = Buffer.from(await encodePng(new Uint8Array(12), 2, 2, { big: 'x'.repeat(PNG_TEXT_LIMITS.maxTextBytes + 10) }));
  assert.throws(() => readPngInfo(big), /exceeds/);
});
