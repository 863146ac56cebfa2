// Uploads through the real decoder (sharp) and store: PNG, JPEG and WebP decode (EXIF orientation applied, alpha
// flattened and kept as a mask); hostile files — wrong type, SVG, HTML, 100 MP, a zip-bomb PNG, truncated files,
// an EXIF bomb, a huge metadata block — each get a 4xx StudioError and leave nothing in DATA_DIR/uploads; the model
// size is rounded to multiples of 16 with the choice said; a job's image resolves to the request size.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { isStudioError } from '../errors.ts';
import { checkExif, decodeImage, modelSize } from './decode.ts';
import { resolveJobImage, storeUpload, UploadStore } from './uploads.ts';

const rgbImage = (w: number, h: number) => Buffer.from(Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 13) % 256));
const png = (w: number, h: number) => sharp(rgbImage(w, h), { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();

function crcPng(chunks: [string, Buffer][]): Buffer {
  const table = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b: Buffer) => { let c = 0xffffffff; for (const x of b) c = table[(c ^ x) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const parts: Buffer[] = [Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])];
  for (const [type, data] of chunks) {
    const head = Buffer.alloc(8); head.writeUInt32BE(data.length); head.write(type, 4, 'latin1');
    const tail = Buffer.alloc(4); tail.writeUInt32BE(crc(Buffer.concat([head.subarray(4), data])));
    parts.push(head, data, tail);
  }
  return Buffer.concat(parts);
}
const ihdr = (w: number, h: number, colour = 0) => { const b = Buffer.alloc(13); b.writeUInt32BE(w); b.writeUInt32BE(h, 4); b[8] = 8; b[9] = colour; return b; };

function freshStore() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uploads-test-'));
  return { store: new UploadStore(dir), files: () => (fs.existsSync(path.join(dir, 'uploads')) ? fs.readdirSync(path.join(dir, 'uploads')) : []) };
}

async function refused(bytes: Uint8Array, status: number, code: RegExp) {
  const { store, files } = freshStore();
  await assert.rejects(storeUpload(store, bytes, 'image'), (e: unknown) => {
    assert.ok(isStudioError(e), String(e));
    assert.equal(e.status, status, `${e.code}: ${e.message}`);
    assert.match(e.code, code);
    assert.ok(e.message.length > 20 && e.hint, 'says what is wrong and how to fix it');
    return true;
  });
  assert.deepEqual(files(), [], 'nothing stored');
}

describe('decoding what is accepted', () => {
  test('PNG, JPEG and WebP decode to sRGB RGB8 and are stored as our own PNG', async () => {
    const { store, files } = freshStore();
    for (const [fmt, bytes] of [['png', await png(40, 24)], ['jpeg', await sharp(await png(40, 24)).jpeg().toBuffer()], ['webp', await sharp(await png(40, 24)).webp().toBuffer()]] as const) {
      const info = await storeUpload(store, bytes, 'image');
      assert.deepEqual([info.format, info.width, info.height, info.hasAlpha], [fmt, 40, 24, false]);
      assert.equal(info.sha256.length, 64);
      assert.equal(store.pixels(info.id).data.length, 40 * 24 * 3);
    }
    assert.equal(files().filter((f) => f.endsWith('.png')).length, 3);
  });

  test('EXIF orientation is applied (a 40×24 stored with orientation 6 comes out 24×40)', async () => {
    const rotated = await sharp(await png(40, 24)).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const d = await decodeImage(rotated);
    assert.deepEqual([d.width, d.height], [24, 40]);
  });

  test('alpha is flattened onto white and kept as the mask', async () => {
    const rgba = Buffer.alloc(4 * 4 * 4, 0); // 4×4, fully transparent black…
    for (let i = 0; i < 8; i++) { rgba[i * 4] = 200; rgba[i * 4 + 3] = 255; } // …but the top half opaque red-ish
    const d = await decodeImage(await sharp(rgba, { raw: { width: 4, height: 4, channels: 4 } }).png().toBuffer());
    assert.deepEqual([...d.rgb.subarray(0, 3)], [200, 0, 0]);
    assert.deepEqual([...d.rgb.subarray(8 * 3, 8 * 3 + 3)], [255, 255, 255], 'transparent → white');
    assert.deepEqual([...d.alpha!.subarray(6, 10)], [255, 255, 0, 0]);
  });

  test('the model size: multiples of 16, scaled into 256–2048, the choice said', () => {
    assert.deepEqual(modelSize(1000, 750), { width: 1008, height: 752, note: '1000×750 → 1008×752 (rounded to multiples of 16)' });
    assert.equal(modelSize(1024, 1024).note, '1024×1024 (already a multiple of 16)');
    const big = modelSize(4000, 3000);
    assert.deepEqual([big.width, big.height], [2048, 1536]);
    assert.match(big.note, /scaled ×0\.512/);
  });
});

describe('hostile uploads: a 4xx and nothing stored', () => {
  test('wrong types: GIF, SVG (with script), HTML, text, a ZIP', async () => {
    await refused(Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), 415, /unsupported_image/);
    await refused(Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 415, /unsupported_image/);
    await refused(Buffer.from('<!doctype html><html><script>alert(1)</script></html>'), 415, /unsupported_image/);
    await refused(Buffer.from('just some text, not an image'), 415, /unsupported_image/);
    await refused(Buffer.from('PK\x03\x04rest-of-a-zip', 'latin1'), 415, /unsupported_image/);
    await refused(new Uint8Array(0), 400, /empty_image/);
  });

  test('100 MP: a zip-bomb PNG (10000×10000 zeros, ~100 KB compressed) is refused from its header', async () => {
    const row = Buffer.alloc(10001); // filter byte + 10000 grey pixels
    const deflate = zlib.createDeflate({ level: 9 });
    const parts: Buffer[] = [];
    deflate.on('data', (c: Buffer) => parts.push(c));
    const done = new Promise((r) => deflate.on('end', r));
    for (let y = 0; y < 10000; y++) deflate.write(row);
    deflate.end();
    await done;
    const bomb = crcPng([['IHDR', ihdr(10000, 10000)], ['IDAT', Buffer.concat(parts)], ['IEND', Buffer.alloc(0)]]);
    assert.ok(bomb.length < 1_000_000, `${bomb.length} bytes`);
    const t = performance.now();
    await refused(bomb, 413, /image_too_many_pixels/);
    assert.ok(performance.now() - t < 5000, 'refused without inflating 100 MB');
  });

  test('truncated PNG and JPEG', async () => {
    const full = await png(64, 64);
    await refused(full.subarray(0, Math.floor(full.length / 2)), 400, /broken_image/);
    const jpeg = await sharp(full).jpeg().toBuffer();
    await refused(jpeg.subarray(0, Math.floor(jpeg.length / 2)), 400, /broken_image/);
  });

  test('over the byte limit', async () => {
    const huge = Buffer.alloc(21 * 1024 * 1024);
    (await png(8, 8)).copy(huge);
    await refused(huge, 413, /image_too_large/);
  });

  test('an EXIF bomb (IFD loop, absurd counts) is refused; a sane EXIF passes', async () => {
    // TIFF little-endian, IFD0 at 8 with one entry whose count claims 4 GB, next-IFD pointing back at 8 (a loop)
    const tiff = Buffer.alloc(8 + 2 + 12 + 4);
    tiff.write('II', 0, 'latin1'); tiff.writeUInt16LE(42, 2); tiff.writeUInt32LE(8, 4);
    tiff.writeUInt16LE(1, 8);
    tiff.writeUInt16LE(0x010e, 10); tiff.writeUInt16LE(2, 12); tiff.writeUInt32LE(0xffffffff, 14); tiff.writeUInt32LE(8, 18);
    tiff.writeUInt32LE(8, 22);
    assert.match(checkExif(Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]))!, /claims/);
    tiff.writeUInt32LE(1, 14); // a sane count, but the loop stays
    assert.match(checkExif(tiff)!, /loop/);
    const app1 = Buffer.concat([Buffer.from([0xff, 0xe1]), Buffer.alloc(2), Buffer.from('Exif\0\0', 'latin1'), tiff]);
    app1.writeUInt16BE(app1.length - 2, 2);
    const jpeg = await sharp(await png(16, 16)).jpeg().toBuffer();
    const bomb = Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
    await refused(bomb, 400, /broken_exif/);
    const sane = await sharp(await png(16, 16)).jpeg().withMetadata({ orientation: 1 }).toBuffer();
    assert.ok((await decodeImage(sane)).width === 16);
  });

  test('a metadata zip bomb (a 50 KB PNG whose zTXt inflates to 50 MB) is refused before it is inflated', async () => {
    const text = Buffer.concat([Buffer.from('bomb\0\0', 'latin1'), zlib.deflateSync(Buffer.alloc(50_000_000, 65))]);
    const bomb = crcPng([['IHDR', ihdr(4, 4)], ['zTXt', text], ['IDAT', zlib.deflateSync(Buffer.alloc(4 * 5))], ['IEND', Buffer.alloc(0)]]);
    assert.ok(bomb.length < 100_000);
    await refused(bomb, 413, /image_metadata_too_large/);
  });
});

describe('a job image resolves to the request size', () => {
  test('upload + mask (or the source\'s own transparency), stretched to width×height, mask inverted on request', async () => {
    const { store } = freshStore();
    const src = await storeUpload(store, await png(40, 30), 'image');
    const maskPng = await sharp(Buffer.from(Uint8Array.from({ length: 40 * 30 * 3 }, (_, i) => (Math.floor(i / 3) % 40 < 20 ? 255 : 0))), { raw: { width: 40, height: 30, channels: 3 } }).png().toBuffer();
    const mask = await storeUpload(store, maskPng, 'mask');
    const input = await resolveJobImage({ source: { kind: 'upload', id: src.id }, mask: mask.id, strength: 0.5, invertMask: true }, { width: 64, height: 48 }, { uploads: store, resultPng: async () => undefined });
    assert.deepEqual([input.width, input.height, input.rgb.length, input.mask!.length], [64, 48, 64 * 48 * 3, 64 * 48]);
    assert.equal(input.mask![0], 0, 'left half painted white, inverted → keep');
    assert.equal(input.mask![63], 255);
    assert.equal(input.sourceHash, src.sha256);
    assert.deepEqual(input.sourceRef, { kind: 'upload', id: src.id });
  });
});
