// Tests the record mapping of a run's evidence (census, health, audit, memory) and the words the badges use for it:
// verdict colours and reasons, "measured on generation 1 of these sessions", the health line, the VRAM badge.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GenerateResult } from '../inference/pipeline/types.ts';
import { healthLine, memoryBadge, nonFiniteAtEnd, precisionBadge, resultEvidence } from './evidence.ts';
import type { ResultRecord } from './results.ts';

const components = (precision: 'bf16' | 'fp16' | 'fp32', ep: 'cpu' | 'cuda') =>
  (['te', 'dit', 'vae'] as const).map((component) => ({ component, precision, ep, reason: 'requested' }));

/** An engine result as ZImagePipeline.generate returns it, reduced to what the mapping reads. */
function engineResult(overrides: Partial<GenerateResult> = {}): GenerateResult {
  const census = { nodes: 1508, byProvider: { cuda: 1500, cpu: 8 }, offProvider: [{ name: 'n', op: 'Shape', provider: 'cpu' }], flopsByDtype: {}, bytesByDtype: {}, totalFlops: 1, totalBytes: 1, flopShare: { bfloat16: 0.9998, float: 0.0002 } };
  return {
    pixels: new Uint8Array(0),
    width: 256,
    height: 256,
    png: new Uint8Array(0),
    request: { prompt: 'p', steps: 8, cfg: 1, width: 256, height: 256, seed: 1, precision: 'bf16', ep: 'cuda' },
    model: { id: 'z', name: 'Z' },
    components: components('bf16', 'cuda'),
    timings: { total: 1000 },
    tokens: { count: 3, truncated: false },
    vae: { tiled: false },
    residency: 'resident',
    health: {
      steps: [{ step: 1, nan: 0, inf: 0 }, { step: 2, nan: 0, inf: 0 }],
      stoppedEarly: false,
      image: { mean: 120.5, std: 40.25, blackFraction: 0.001, black: false, flat: false },
    },
    audit: {
      dir: '/secret/weights/z/bf16',
      precision: 'bf16',
      ok: true,
      components: [{
        component: 'dit', claimed: 'bf16', initializers: { bf16: { count: 2, bytes: 8 } }, heavyWeights: { bf16: 1 }, computeDtype: 'bf16',
        fp32Initializers: ['t_freqs'], islands: ['RoPE tables and rotation'], problems: [],
      }],
    },
    census: {
      scope: 'first generation of these sessions',
      generation: 1,
      merged: census,
      verdict: { level: 'amber', text: 'BF16 · 99.98 % of FLOPs · CUDA', reasons: ['8 nodes ran on CPU: Shape'] },
    },
    memory: { peakMiB: 20480, afterMiB: 18000, totalMiB: 143771, scope: 'device', samples: 12 },
    ...overrides,
  };
}

describe('resultEvidence (engine result → history record)', () => {
  test('keeps the census verdict, providers and FLOP shares, and nothing of the raw census', () => {
    const evidence = resultEvidence(engineResult(), {});
    assert.deepEqual(evidence.census, {
      scope: 'first generation of these sessions',
      generation: 1,
      verdict: { level: 'amber', text: 'BF16 · 99.98 % of FLOPs · CUDA', reasons: ['8 nodes ran on CPU: Shape'] },
      byProvider: { cuda: 1500, cpu: 8 },
      flopShare: { bfloat16: 0.9998, float: 0.0002 },
    });
  });

  test('keeps per-step NaN/Inf, the early stop and the image check', () => {
    const health = {
      steps: [{ step: 1, nan: 0, inf: 0 }, { step: 2, nan: 10, inf: 2 }, { step: 3, nan: 4096, inf: 0 }],
      firstBadStep: 2,
      stoppedEarly: true,
      summary: 'NaN from step 2 in the DiT (fp16 overflow): black image',
      image: { mean: 0, std: 0, blackFraction: 1, black: true, flat: true },
    };
    assert.deepEqual(resultEvidence(engineResult({ health }), {}).health, health);
  });

  test('keeps compute dtype, heavy weights and islands per component, never the folder on the server', () => {
    const evidence = resultEvidence(engineResult(), {});
    assert.deepEqual(evidence.audit, [
      { component: 'dit', claimed: 'bf16', computeDtype: 'bf16', heavyWeights: { bf16: 1 }, islands: ['RoPE tables and rotation'] },
    ]);
    assert.doesNotMatch(JSON.stringify(evidence), /secret/);
  });

  test('GPU memory: peak, after, total, scope; the card total fills in when the engine has none', () => {
    assert.deepEqual(resultEvidence(engineResult(), {}).memory, {
      kind: 'gpu', peakMiB: 20480, afterMiB: 18000, totalMiB: 143771, scope: 'device', samples: 12,
    });
    const unmeasured = resultEvidence(engineResult({ memory: undefined }), { gpu: { name: 'H200', memoryTotalMiB: 143000, driver: '', cuda: '', computeCapability: '9.0' } });
    assert.equal(unmeasured.memory.kind, 'gpu');
    assert.equal(unmeasured.memory.kind === 'gpu' && unmeasured.memory.peakMiB, undefined);
    assert.equal(unmeasured.memory.kind === 'gpu' && unmeasured.memory.totalMiB, 143000);
  });

  test('a CPU run has no VRAM, and a run without a census stores none', () => {
    const evidence = resultEvidence(engineResult({ components: components('fp32', 'cpu'), memory: undefined, census: undefined }), {});
    assert.deepEqual(evidence.memory, { kind: 'cpu' });
    assert.equal(evidence.census, undefined);
  });

  test('survives the JSON round trip the database and the Redis queue make', () => {
    const evidence = resultEvidence(engineResult(), {});
    assert.deepEqual(JSON.parse(JSON.stringify(evidence)), evidence);
  });
});

function record(overrides: Partial<ResultRecord>): ResultRecord {
  return {
    id: 'a'.repeat(22),
    createdAt: '2025-01-01T00:00:00.000Z',
    request: { prompt: 'p', steps: 8, cfg: 1, width: 256, height: 256, seed: 1, precision: 'fp16', ep: 'cuda' },
    model: { id: 'z', name: 'Z', tiny: false },
    components: components('fp16', 'cuda'),
    timings: {},
    tokens: { count: 1, truncated: false },
    durationMs: 1,
    queuedMs: 0,
    memory: { kind: 'cpu' },
    ...overrides,
  };
}

const census = (level: 'green' | 'amber' | 'red', scope: 'this generation' | 'first generation of these sessions' = 'this generation') => ({
  scope, generation: 1, byProvider: { cuda: 10 }, flopShare: { float16: 0.5, float: 0.5 },
  verdict: { level, text: 'FP16 · 50.0 % of FLOPs · CUDA', reasons: level === 'green' ? [] : ['only 50.0 % of the FLOPs ran in fp16'] },
});

describe('precision badge', () => {
  test('shows the census verdict with its colour and reasons', () => {
    const badge = precisionBadge(record({ census: census('amber') }));
    assert.equal(badge.text, 'FP16 · 50.0 % of FLOPs · CUDA');
    assert.equal(badge.level, 'amber');
    assert.deepEqual(badge.reasons, ['only 50.0 % of the FLOPs ran in fp16']);
    assert.match(badge.title, /only 50\.0 %/);
    assert.equal(badge.scopeNote, undefined);
  });

  test('says when the census was measured on an earlier generation of the same sessions', () => {
    assert.equal(precisionBadge(record({ census: census('green', 'first generation of these sessions') })).scopeNote, 'measured on generation 1 of these sessions');
  });

  test('without a census it repeats the declared precision and says it is not a measurement', () => {
    const badge = precisionBadge(record({}));
    assert.equal(badge.text, 'FP16 · CUDA');
    assert.equal(badge.level, 'unknown');
    assert.match(badge.title, /not a measurement/);
  });
});

describe('health line', () => {
  const steps = [{ step: 1, nan: 0, inf: 0 }, { step: 2, nan: 0, inf: 0 }, { step: 3, nan: 12, inf: 0 }, { step: 4, nan: 4096, inf: 0 }];
  const black = { mean: 0, std: 0, blackFraction: 1, black: true, flat: true };

  test('an fp16 overflow names the step, the component and the black image', () => {
    const line = healthLine(record({ health: { steps, firstBadStep: 3, stoppedEarly: false, image: black } }));
    assert.equal(line, 'FP16 overflow: NaN from step 3 in the DiT: black image');
  });

  test('an early stop says where denoising stopped', () => {
    const line = healthLine(record({ health: { steps, firstBadStep: 3, stoppedEarly: true, image: black } }));
    assert.equal(line, 'FP16 overflow: NaN from step 3 in the DiT: black image (denoising stopped after step 4 of 8)');
  });

  test('Inf without NaN says Inf; other precisions do not claim an fp16 overflow', () => {
    const infSteps = [{ step: 1, nan: 0, inf: 3 }];
    const line = healthLine(record({
      request: { prompt: 'p', steps: 8, cfg: 1, width: 256, height: 256, seed: 1, precision: 'bf16', ep: 'cuda' },
      health: { steps: infSteps, firstBadStep: 1, stoppedEarly: false, image: { ...black, black: false, flat: false } },
    }));
    assert.equal(line, 'Inf from step 1 in the DiT');
  });

  test('a healthy run has no line; a black image without NaN still gets one', () => {
    const fine = { mean: 100, std: 30, blackFraction: 0, black: false, flat: false };
    assert.equal(healthLine(record({ health: { steps: steps.slice(0, 2), stoppedEarly: false, image: fine } })), undefined);
    assert.equal(healthLine(record({ health: { steps: steps.slice(0, 2), stoppedEarly: false, image: black } })), 'Black image, with no NaN or Inf in the latents');
    assert.equal(healthLine(record({})), undefined);
  });

  test('non-finite count at the end is the last step\'s NaN + Inf', () => {
    assert.equal(nonFiniteAtEnd({ steps, stoppedEarly: false, image: black }), 4096);
    assert.equal(nonFiniteAtEnd({ steps: [], stoppedEarly: false, image: black }), 0);
  });
});

describe('VRAM badge', () => {
  test('CPU runs say CPU', () => {
    assert.equal(memoryBadge({ kind: 'cpu' }).text, 'CPU');
  });

  test('peak / total in GiB, with the device scope noted', () => {
    const badge = memoryBadge({ kind: 'gpu', peakMiB: 20480, afterMiB: 18432, totalMiB: 143771, scope: 'device' });
    assert.equal(badge.text, '20 / 140 GiB · device');
    assert.match(badge.title, /other processes/);
    assert.equal(memoryBadge({ kind: 'gpu', peakMiB: 5120, totalMiB: 24576, scope: 'process' }).text, '5.0 / 24 GiB');
  });

  test('an unmeasured peak is a dash, not a guess', () => {
    assert.equal(memoryBadge({ kind: 'gpu', totalMiB: 24576 }).text, '— / 24 GiB');
  });
});
