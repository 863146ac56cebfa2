// An independent PNG check for e2e: signature and IHDR size, written from the spec rather than reusing lib/png.ts,
// so a bug there cannot hide itself. Never looks at pixel values (they differ across machines by design).
import { expect } from '@playwright/test';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function expectPng(bytes: Uint8Array, size: { width: number; height: number }): void {
  expect(Array.from(bytes.subarray(0, 8)), 'PNG signature').toEqual(SIGNATURE);
  expect(Buffer.from(bytes.subarray(12, 16)).toString('latin1'), 'first chunk is IHDR').toBe('IHDR');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect({ width: view.getUint32(16), height: view.getUint32(20) }, 'IHDR width/height').toEqual(size);
}
