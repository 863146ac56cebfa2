// Tests the aspect-ratio chips: every ratio at every size class lands on multiples of 16 near the megapixels asked,
// keeps its ratio, and is found again from its width × height.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ASPECTS, matchSize, nearestAspect, SIZE_CLASSES, sizeFor } from './aspect.ts';

test('1:1 at 1 MP is 1024², and 4:5 / 9:16 are their nearest multiples of 16', () => {
  assert.deepEqual(sizeFor({ w: 1, h: 1 }, 1024 * 1024), { width: 1024, height: 1024 });
  assert.deepEqual(sizeFor({ w: 4, h: 5 }, 1024 * 1024), { width: 912, height: 1152 });
  assert.deepEqual(sizeFor({ w: 9, h: 16 }, 1024 * 1024), { width: 768, height: 1360 });
  assert.deepEqual(sizeFor({ w: 16, h: 9 }, 1024 * 1024), { width: 1360, height: 768 });
});

test('every chip at every size: multiples of 16 within 256–2048, within 4% of the pixels and 3% of the ratio', () => {
  for (const size of SIZE_CLASSES) {
    for (const aspect of ASPECTS) {
      const { width, height } = sizeFor(aspect, size.pixels);
      assert.equal(width % 16, 0);
      assert.equal(height % 16, 0);
      assert.ok(width >= 256 && width <= 2048 && height >= 256 && height <= 2048);
      assert.ok(Math.abs((width * height) / size.pixels - 1) < 0.04, `${aspect.id} ${size.id}: ${width}×${height}`);
      assert.ok(Math.abs(width / height / (aspect.w / aspect.h) - 1) < 0.03, `${aspect.id} ${size.id}: ${width}×${height}`);
      assert.deepEqual(matchSize(width, height), { aspect, size });
    }
  }
  assert.equal(matchSize(1000, 1000), null);
  assert.equal(nearestAspect(832, 1216).id, '2:3');
  assert.equal(ASPECTS[1].spoken, 'portrait 4 to 5');
});
