// The engine's public entry for the studio and workers: the model catalogue in weights/, the embedded models
// (made on first use, seconds, no network: the trained demo checkpoint → fp32 ONNX, the default; the tiny random
// checkpoint → fp32 ONNX, for the tests), what this machine can run, and the
// pipeline class. It deliberately reads no environment variables: callers pass folders and choices.
import fs from 'node:fs';
import path from 'node:path';
import { convert } from '../convert.ts';
import { readManifest } from '../manifest.ts';
import { FAMILIES } from '../models/registry.ts';
import { capabilities } from '../runtime/capabilities.ts';
import { ortVersion } from '../runtime/onnx-runtime.ts';
import { writeTinyCheckpoint } from '../tiny.ts';
import { DEMO_ID, DEMO_INFO, DEMO_NAME, findDemoCheckpoint, writeDemoCheckpoint } from '../demo-model.ts';
import { copyPackagedTokenizer } from '../tokenizer/qwen3.ts';
import { ZImagePipeline, type LoadOptions } from './pipeline.ts';
import { PRECISIONS, type ExecutionProvider, type ModelEntry, type Precision, type SystemInfo } from './types.ts';

export { auditModel } from '../audit.ts';
export { DEMO_ID } from '../demo-model.ts';

export { ZImagePipeline, validateRequest, LIMITS, type LoadOptions } from './pipeline.ts';
export { defaultPrecision, precisionOptions, PRECISION_PREFERENCE, type PrecisionOption } from './rules.ts';
export * from './types.ts';

export const TINY_ID = 'tiny';

/** Models under `weightsDir`: each `<model>/<precision>/manifest.json` is one converted precision. */
export function listModels(weightsDir: string): ModelEntry[] {
  if (!fs.existsSync(weightsDir)) return [];
  const models: ModelEntry[] = [];
  for (const id of fs.readdirSync(weightsDir).sort()) {
    const dir = path.resolve(weightsDir, id);
    if (id.startsWith('.') || !fs.statSync(dir).isDirectory()) continue;
    const precisions: Precision[] = [];
    let entry: ModelEntry | undefined;
    for (const p of PRECISIONS) {
      if (!fs.existsSync(path.join(dir, p, 'manifest.json'))) continue;
      try {
        const m = readManifest(path.join(dir, p));
        precisions.push(p);
        entry ??= {
          id, name: m.name, family: m.family, variant: m.variant, dir, precisions, tiny: m.tiny, ...(m.demo ? { demo: m.demo } : {}),
          parameters: { dit: m.components.dit?.parameters ?? 0, te: m.components.te?.parameters ?? 0, vae: m.components.vae?.parameters ?? 0 },
        };
      } catch {
        // a manifest from another version or a broken folder: not listed (zimage convert rewrites it)
      }
    }
    if (entry) models.push(entry);
  }
  return models;
}

/** The pipeline class of each family's `pipeline` name (models/registry.ts). */
const PIPELINES = { 'z-image': ZImagePipeline } as const;

/** Loads the pipeline that runs this model's family (listModels only lists families this version knows), in one precision on one execution provider. */
export function loadPipeline(model: ModelEntry, precision: Precision, ep: ExecutionProvider, options: LoadOptions = {}): Promise<ZImagePipeline> {
  return PIPELINES[FAMILIES[model.family].pipeline].load(model, precision, ep, options);
}

let defaultModel: Promise<ModelEntry> | undefined;

/**
 * The embedded models, made when absent: weights/tiny/fp32 from the deterministic tiny checkpoint (for the tests)
 * and weights/demo/fp32 from the committed demo checkpoint (models/demo). Returns the demo model, the default;
 * the tiny one in a checkout without models/demo.
 */
export function ensureDefaultModel(weightsDir: string): Promise<ModelEntry> {
  defaultModel ??= (async () => {
    const find = (id: string) => listModels(weightsDir).find((m) => m.id === id && m.precisions.includes('fp32'));
    const tiny = find(TINY_ID);
    // a tiny model converted before the VAE encoder existed is made again (seconds), so image input works on it
    if (!tiny || !readManifest(path.join(tiny.dir, 'fp32')).components.vae?.encoder) {
      const dir = path.join(weightsDir, TINY_ID);
      const source = path.join(dir, 'source');
      writeTinyCheckpoint(source, 0, copyPackagedTokenizer);
      convert({ sources: [source], out: dir, precision: 'fp32', name: 'tiny random-weights demo', tiny: true });
    }
    const found = find(DEMO_ID);
    if (found) return found;
    if (!findDemoCheckpoint()) return find(TINY_ID)!;
    const dir = path.join(weightsDir, DEMO_ID);
    const source = path.join(dir, 'source');
    writeDemoCheckpoint(source, copyPackagedTokenizer);
    convert({ sources: [source], out: dir, precision: 'fp32', name: DEMO_NAME, demo: DEMO_INFO });
    return find(DEMO_ID)!;
  })().catch((e) => {
    defaultModel = undefined;
    throw e;
  });
  return defaultModel;
}

let systemCache: SystemInfo | undefined;

/** What this machine can run, and why not for the rest. */
export async function systemInfo(): Promise<SystemInfo> {
  systemCache ??= { node: process.version, onnxruntime: ortVersion(), ...capabilities() };
  return systemCache;
}
