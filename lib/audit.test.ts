// Tests the browser's view of the load-time audit: weights by dtype with byte shares (largest first), the fp32 parts
// kept by name, the server's folder left out; and the byte formatting the panel uses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, toAuditView } from './audit.ts';

test('toAuditView: weights by dtype and share of bytes, fp32 parts by name, no server path', () => {
  const view = toAuditView('z-image-turbo', {
    dir: '/srv/weights/z-image-turbo/bf16',
    precision: 'bf16',
    ok: true,
    components: [{
      component: 'dit',
      claimed: 'bf16',
      initializers: { int64: { count: 9, bytes: 200 }, fp32: { count: 2, bytes: 800 }, bf16: { count: 75, bytes: 9000 } },
      heavyWeights: { bf16: 1 },
      computeDtype: 'bf16',
      fp32Initializers: ['c1000', 't_freqs'],
      islands: ['RoPE tables and rotation'],
      problems: [],
    }],
  });
  assert.deepEqual(view.components[0].weights, [
    { dtype: 'bf16', count: 75, bytes: 9000, share: 0.9 },
    { dtype: 'fp32', count: 2, bytes: 800, share: 0.08 },
    { dtype: 'int64', count: 9, bytes: 200, share: 0.02 },
  ]);
  assert.deepEqual(view.components[0].fp32Initializers, ['c1000', 't_freqs']);
  assert.equal(view.model, 'z-image-turbo');
  assert.doesNotMatch(JSON.stringify(view), /srv/);
});

test('formatBytes: decimal units with three significant digits', () => {
  assert.equal(formatBytes(336), '336 B');
  assert.equal(formatBytes(19_546_880), '19.5 MB');
  assert.equal(formatBytes(2_364_040), '2.36 MB');
  assert.equal(formatBytes(12_309_817_472), '12.3 GB');
});
