// The engine's public entry for the studio and workers: the model catalogue in weights/, the embedded default
// model (made on first use: tiny checkpoint → fp32 ONNX, seconds, no network), what this machine can run, and the
// pipeline class. It deliberately reads no environment variables: callers pass folders and choices.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { convert, readManifest } from '../convert.ts';
import { cudaProviderInstalled, ortVersion } from '../runtime/onnx-runtime.ts';
import { writeTinyCheckpoint } from '../tiny.ts';
import { copyPackagedTokenizer } from '../tokenizer/qwen3.ts';
import { PRECISIONS, type ModelEntry, type Precision, type SystemInfo } from './types.ts';

export { ZImagePipeline, validateRequest, LIMITS } from './pipeline.ts';
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
          id, name: m.name, dir, precisions, tiny: m.tiny,
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

let defaultModel: Promise<ModelEntry> | undefined;

/** The embedded default: weights/tiny/fp32, made from the deterministic tiny checkpoint when absent. */
export function ensureDefaultModel(weightsDir: string): Promise<ModelEntry> {
  defaultModel ??= (async () => {
    const find = () => listModels(weightsDir).find((m) => m.id === TINY_ID && m.precisions.includes('fp32'));
    const found = find();
    if (found) return found;
    const dir = path.join(weightsDir, TINY_ID);
    const source = path.join(dir, 'source');
    writeTinyCheckpoint(source, 0, copyPackagedTokenizer);
    convert({ sources: [source], out: dir, precision: 'fp32', name: 'tiny random-weights demo', tiny: true });
    return find()!;
  })().catch((e) => {
    defaultModel = undefined;
    throw e;
  });
  return defaultModel;
}

function nvidiaSmi(): SystemInfo['gpu'] | undefined {
  try {
    const q = execFileSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version,compute_cap', '--format=csv,noheader,nounits'], { encoding: 'utf8', timeout: 5000 });
    const [name, mem, driver, cc] = q.trim().split('\n')[0].split(',').map((s) => s.trim());
    const banner = execFileSync('nvidia-smi', { encoding: 'utf8', timeout: 5000 });
    const cuda = banner.match(/CUDA Version:\s*([\d.]+)/)?.[1] ?? 'unknown';
    return { name, memoryTotalMiB: Number(mem), driver, cuda, computeCapability: cc };
  } catch {
    return undefined;
  }
}

let systemCache: SystemInfo | undefined;

/** What this machine can run, and why not for the rest. */
export async function systemInfo(): Promise<SystemInfo> {
  if (systemCache) return systemCache;
  const gpu = nvidiaSmi();
  const cuda = Boolean(gpu) && cudaProviderInstalled();
  const cc = gpu ? Number(gpu.computeCapability) : 0;
  const driverMajor = gpu ? Number(gpu.driver.split('.')[0]) : 0;
  const noCuda = !gpu ? 'no NVIDIA GPU found (nvidia-smi did not run)' : 'the CUDA execution provider is not installed: npm run setup:gpu';
  const precisions: SystemInfo['precisions'] = [
    { precision: 'bf16', available: cuda && cc >= 8 && driverMajor >= 525, reason: !cuda ? noCuda : cc < 8 ? `bf16 needs compute capability ≥ 8.0 (this GPU: ${gpu!.computeCapability})` : driverMajor < 525 ? `bf16 needs driver ≥ 525 (this: ${gpu!.driver})` : undefined },
    { precision: 'fp16', available: cuda, reason: cuda ? undefined : `fp16 runs on the GPU only: ${noCuda}` },
    { precision: 'fp16-safe', available: cuda, reason: cuda ? undefined : `fp16 runs on the GPU only: ${noCuda}` },
    { precision: 'fp32', available: true },
  ];
  systemCache = { node: process.version, onnxruntime: ortVersion(), eps: cuda ? ['cpu', 'cuda'] : ['cpu'], precisions, gpu };
  return systemCache;
}
