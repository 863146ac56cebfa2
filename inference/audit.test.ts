// The load-time audit and the downgrade traps: what the ONNX files hold is read back and compared with the label;
// bf16 is refused where it cannot run (no GPU, no CUDA provider, compute capability < 8.0, driver < 525).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { assertHonest, auditModel } from './audit.ts';
import { convert } from './convert.ts';
import { EngineError } from './errors.ts';
import { listModels, ZImagePipeline } from './pipeline/index.ts';
import { assertRunnable, capabilities, type Probe } from './runtime/capabilities.ts';
import { writeTinyCheckpoint } from './tiny.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-test-'));
const weights = path.join(tmp, 'weights');

before(() => {
  writeTinyCheckpoint(path.join(tmp, 'src'), 0, (f) => fs.writeFileSync(f, '{}'));
  for (const precision of ['fp32', 'bf16'] as const) convert({ sources: [path.join(tmp, 'src')], out: path.join(weights, 'tiny'), precision });
});

describe('load-time audit', () => {
  test('fp32: fp32 heavy weights, no fp32 islands to list', () => {
    const a = auditModel(path.join(weights, 'tiny/fp32'));
    assert.ok(a.ok);
    for (const c of a.components) {
      assert.equal(c.computeDtype, 'fp32');
      assert.deepEqual(c.fp32Initializers, []);
    }
  });

  test('bf16: every heavy weight bf16, the deliberate fp32 parts listed by name', () => {
    const a = auditModel(path.join(weights, 'tiny/bf16'));
    assert.ok(a.ok, JSON.stringify(a.components.map((c) => c.problems)));
    for (const c of a.components) assert.deepEqual(c.heavyWeights, { bf16: 1 });
    const dit = a.components.find((c) => c.component === 'dit')!;
    assert.ok(dit.fp32Initializers.includes('t_freqs'), 'the timestep sinusoid table stays fp32');
    assert.ok(dit.islands.some((i) => /RoPE/.test(i)));
    assert.ok(dit.initializers.bf16.bytes > 1e6);
  });

  test('a graph whose weights are not bf16 is never labelled bf16', async () => {
    const fake = path.join(weights, 'fake');
    fs.cpSync(path.join(weights, 'tiny/fp32'), path.join(fake, 'bf16'), { recursive: true });
    const manifestFile = path.join(fake, 'bf16/manifest.json');
    const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    m.precision = 'bf16';
    for (const c of Object.values(m.components) as { precision: string }[]) c.precision = 'bf16';
    fs.writeFileSync(manifestFile, JSON.stringify(m));
    const a = auditModel(path.join(fake, 'bf16'));
    assert.equal(a.ok, false);
    assert.match(a.components[0].problems[0], /labelled bf16 but its heavy weights are fp32/);
    assert.throws(() => assertHonest(a), (e: unknown) => e instanceof EngineError && e.code === 'precision-mismatch');
    // the pipeline refuses to load it, even where bf16 could run
    const model = listModels(weights).find((x) => x.id === 'fake')!;
    const gpuCaps = capabilities(probe({ cc: '9.0', driver: '580.1' }));
    await assert.rejects(ZImagePipeline.load(model, 'bf16', 'cuda', { capabilities: gpuCaps }), /labelled bf16 but its heavy weights are fp32/);
  });
});

function probe(gpu?: { cc: string; driver: string }, provider = true): Probe {
  return {
    gpu: () => (gpu ? { name: 'Test GPU', memoryTotalMiB: 16384, driver: gpu.driver, cuda: '12.4', computeCapability: gpu.cc } : undefined),
    cudaProvider: () => provider,
  };
}

describe('downgrade traps: a clear refusal with the fix, never a quiet switch', () => {
  const bf16 = (p: Probe) => capabilities(p).precisions.find((x) => x.precision === 'bf16')!;
  test('Hopper with a current driver and the provider: bf16 available', () => {
    assert.equal(bf16(probe({ cc: '9.0', driver: '580.159.04' })).available, true);
  });
  test('compute capability 7.5 (Turing): refused, fp16-safe suggested', () => {
    const p = bf16(probe({ cc: '7.5', driver: '550.1' }));
    assert.equal(p.available, false);
    assert.match(p.reason!, /compute capability ≥ 8.0.*7\.5.*fp16-safe/);
  });
  test('driver older than 525: refused, update suggested', () => {
    assert.match(bf16(probe({ cc: '8.6', driver: '520.61.05' })).reason!, /driver ≥ 525.*520\.61\.05.*update/);
  });
  test('CUDA provider missing: refused, setup:gpu named', () => {
    assert.match(bf16(probe({ cc: '8.9', driver: '550.1' }, false)).reason!, /npm run setup:gpu/);
  });
  test('no GPU at all', () => {
    assert.match(bf16(probe()).reason!, /no NVIDIA GPU/);
  });
  test('bf16 or fp16 on the CPU EP is refused before anything loads', () => {
    assert.throws(() => assertRunnable('bf16', 'cpu', capabilities(probe())), /runs only on the CUDA execution provider/);
    assert.throws(() => assertRunnable('fp16', 'cpu', capabilities(probe())), /runs only on the CUDA/);
    assert.throws(() => assertRunnable('bf16', 'cuda', capabilities(probe({ cc: '7.0', driver: '550' }))), (e: unknown) => e instanceof EngineError && e.code === 'precision-unavailable');
    assert.doesNotThrow(() => assertRunnable('fp32', 'cpu', capabilities(probe())));
  });
});
