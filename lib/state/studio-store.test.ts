// Tests the client store's pure behaviour: the first state is complete before any render (so server HTML and
// hydration agree), presets, reuse with fallbacks, and that invalid settings never call the API.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tinyRecord } from '../db/test-result.ts';
import type { SystemResponse } from '../system.ts';
import type { StudioJob } from '../system.ts';
import { createStudioStore, replacesHeld } from './studio-store.ts';

const system: SystemResponse = {
  system: {
    node: 'v20',
    onnxruntime: '1.29.0',
    eps: ['cpu'],
    precisions: [
      { precision: 'bf16', available: false, reason: 'no GPU' },
      { precision: 'fp16', available: false, reason: 'no GPU' },
      { precision: 'fp16-safe', available: false, reason: 'no GPU' },
      { precision: 'fp32', available: true },
    ],
  },
  ep: 'cpu',
  models: [{ id: 'tiny', name: 'tiny', family: 'z-image', variant: 'turbo', precisions: ['fp32'], tiny: true, parameters: { dit: 1, te: 1, vae: 1 } }],
  defaultModel: 'tiny',
};

const init = { system, systemError: null, results: { items: [], nextCursor: null, total: 0 }, seed: 1234 };

test('the first state already names the default model, its best precision and the server seed', () => {
  const { form } = createStudioStore(init).getState();
  assert.equal(form.model, 'tiny');
  assert.equal(form.precision, 'fp32');
  assert.equal(form.seed, '1234');
  assert.equal(form.steps, '8');
  assert.equal(form.cfg, '1');
});

test('reuse restores every setting and falls back when the model or precision is gone', () => {
  const store = createStudioStore(init);
  const record = tinyRecord(
    { prompt: '肖像', negativePrompt: 'blur', steps: 12, cfg: 2, width: 832, height: 1216, seed: 99, precision: 'bf16', ep: 'cuda' },
    { model: { id: 'z-image-turbo', name: 'Z-Image-Turbo', tiny: false }, tokens: { count: 3, truncated: false }, memory: { kind: 'gpu' } },
  );
  store.getState().reuse(record);
  const { form } = store.getState();
  assert.deepEqual(
    [form.prompt, form.negativePrompt, form.steps, form.cfg, form.width, form.height, form.seed],
    ['肖像', 'blur', '12', '2', '832', '1216', '99'],
  );
  assert.equal(form.model, 'tiny', 'a model missing here falls back to the default');
  assert.equal(store.getState().keepSeed, true, 'reusing means reproducing: the seed is kept');
  assert.equal(form.precision, 'fp32', 'a precision this machine cannot run falls back to the best available');
});

test('submit with an invalid width marks the form and sends nothing', async () => {
  const calls: string[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (url: string) => {
    calls.push(url);
    throw new Error('no network in this test');
  }) as typeof fetch;
  try {
    const store = createStudioStore(init);
    store.getState().setField('prompt', 'a portrait');
    store.getState().setField('width', '1000');
    await store.getState().submit();
    assert.equal(store.getState().attempted, true);
    assert.deepEqual(calls, []);
  } finally {
    globalThis.fetch = realFetch;
  }
});

test('an invalid field asks for the focus; a dropped PNG\'s settings fill the form like Reuse', async () => {
  const store = createStudioStore(init);
  store.getState().setField('prompt', 'a portrait');
  store.getState().setField('height', '1000');
  await store.getState().submit();
  assert.equal(store.getState().focusRequest?.field, 'height');
  store.getState().loadSettings({ source: 'a1111', prompt: 'a lighthouse', negativePrompt: 'fog', steps: 20, cfg: 7, seed: 42, width: 512, height: 768, precision: 'bf16' });
  const { form, keepSeed } = store.getState();
  assert.deepEqual([form.prompt, form.negativePrompt, form.steps, form.cfg, form.seed, form.width, form.height], ['a lighthouse', 'fog', '20', '7', '42', '512', '768']);
  assert.equal(form.precision, 'fp32', 'a precision this machine cannot run falls back');
  assert.equal(keepSeed, true);
});

test('job snapshots: versions order them within one server; after a restart a fresh or ending snapshot wins', () => {
  const job = (status: StudioJob['status'], version: number): StudioJob => ({
    id: 'j', status, version, createdAt: 0, position: null, input: { modelId: 'tiny', request: { prompt: 'p', steps: 8, cfg: 1, width: 256, height: 256, seed: 1, precision: 'fp32', ep: 'cpu' } },
  });
  assert.equal(replacesHeld(job('running', 12), job('running', 3), false), false, 'an older event from the same stream is dropped');
  assert.equal(replacesHeld(job('running', 12), job('running', 13), false), true);
  // The restarted server's record: interrupted, version 4 (progress events are not recorded), yet it is the truth.
  assert.equal(replacesHeld(job('running', 12), { ...job('failed', 4), error: { code: 'interrupted', message: 'x' } }, false), true);
  assert.equal(replacesHeld(job('running', 12), job('running', 2), true), true, 'a fresh snapshot after a reconnect wins');
  assert.equal(replacesHeld(job('canceled', 5), job('running', 9), true), false, 'an ended job never runs again');
});

test('presets and defaults follow the variant: a Z-Image base model starts at 50 steps / CFG 5, and switching models takes the new variant\'s', () => {
  const withBase: SystemResponse = {
    ...system,
    models: [...system.models, { id: 'z-base', name: 'Z-Image', family: 'z-image', variant: 'base', precisions: ['fp32'], tiny: false, parameters: { dit: 1, te: 1, vae: 1 } }],
    defaultModel: 'z-base',
  };
  const store = createStudioStore({ ...init, system: withBase });
  assert.deepEqual([store.getState().form.model, store.getState().form.steps, store.getState().form.cfg], ['z-base', '50', '5']);
  store.getState().setModel('tiny');
  assert.deepEqual([store.getState().form.steps, store.getState().form.cfg], ['8', '1'], 'Turbo: its distilled settings');
  store.getState().setField('steps', '10');
  store.getState().setModel('tiny');
  assert.equal(store.getState().form.steps, '10', 'the same variant keeps what the user typed');
  store.getState().setModel('z-base');
  assert.deepEqual([store.getState().form.steps, store.getState().form.cfg], ['50', '5']);
});

test('the embedded demo model starts the form at its native size; picking another model keeps the size', () => {
  const demo = { id: 'demo', name: 'demo', family: 'z-image', variant: 'turbo', precisions: ['fp32'], tiny: false, demo: { nativeSize: 256, about: 'a demo' }, parameters: { dit: 1, te: 1, vae: 1 } } as const;
  const withDemo: SystemResponse = { ...system, models: [{ ...demo, precisions: ['fp32'] }, ...system.models], defaultModel: 'demo' };
  const store = createStudioStore({ ...init, system: withDemo });
  assert.deepEqual([store.getState().form.model, store.getState().form.width, store.getState().form.height], ['demo', '256', '256']);
  store.getState().setSize(512, 512);
  store.getState().setModel('tiny');
  assert.deepEqual([store.getState().form.width, store.getState().form.height], ['512', '512'], 'a model without a native size leaves it');
  store.getState().setModel('demo');
  assert.deepEqual([store.getState().form.width, store.getState().form.height], ['256', '256'], 'back on the demo: its size');
  const plain = createStudioStore(init).getState().form;
  assert.deepEqual([plain.width, plain.height], ['1024', '1024'], 'other defaults are untouched');
});
