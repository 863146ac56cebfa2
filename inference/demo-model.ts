// The embedded demo model: a small Z-Image (same architecture and checkpoint layout, tiny widths) trained on drawn
// portraits by scripts/demo/train.py, committed as a diffusers folder in models/demo/ (fp16 safetensors, ~16.8 MB,
// no tokenizer). On first start it is copied into weights/demo/source with the packaged Qwen3 tokenizer and
// converted like any checkpoint, so the converter runs on every fresh install. It draws what the prompt says
// (hair, eyes, skin, glasses, clothes, background, light, framing; English or Chinese) at 256×256, and is a demo
// of the pipeline, not of Z-Image's quality.
// Deliberately not here: the random-weights tiny model (inference/tiny.ts), which stays for the tests.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError } from './errors.ts';

export const DEMO_ID = 'demo';
export const DEMO_NAME = 'demo: tiny Z-Image trained on drawn portraits';

/** What the studio tells about the demo model; stored in its manifest. */
export interface DemoInfo {
  /** The size it was trained at (square); other sizes work but draw worse. */
  nativeSize: number;
  about: string;
}

export const DEMO_INFO: DemoInfo = {
  nativeSize: 256,
  about:
    'A demo of the pipeline, not of Z-Image\'s quality: the Z-Image architecture at tiny widths (~8.4 M parameters), ' +
    'trained for a few GPU minutes on procedurally drawn portraits. It follows prompts about hair colour and style, ' +
    'eye and skin colour, glasses, clothing and background colour, light from the left/right/front and close-up vs ' +
    'head-and-shoulders, in English or Chinese, at 256×256.',
};

/** Files of the committed checkpoint, relative to its folder (the tokenizer is added when the model is made). */
export const DEMO_FILES = [
  'model_index.json',
  'scheduler/scheduler_config.json',
  'transformer/config.json',
  'transformer/diffusion_pytorch_model.safetensors',
  'text_encoder/config.json',
  'text_encoder/model.safetensors',
  'vae/config.json',
  'vae/diffusion_pytorch_model.safetensors',
];

/**
 * The committed checkpoint folder (models/demo in the repository), or undefined when this checkout has none.
 * Found from this module's place upwards, so the source (inference/), the engine bundle (dist/engine/) and the
 * CLI bundle (dist/) all find it.
 */
export function findDemoCheckpoint(): string | undefined {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'models', 'demo');
    if (fs.existsSync(path.join(candidate, 'model_index.json'))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The committed checkpoint folder, or an error saying how to restore it. */
export function demoCheckpointDir(): string {
  const found = findDemoCheckpoint();
  if (found) return found;
  const tried = [path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'models', 'demo')];
  throw new EngineError('demo-checkpoint-missing', `the demo checkpoint is not in ${tried[0]}`, {
    hint: 'run from a full checkout of the repository (models/demo/ is committed), or restore it with `git checkout -- models/demo`',
  });
}

/** Copies the committed checkpoint into `dest` and puts a tokenizer.json in via `writeTokenizer`. */
export function writeDemoCheckpoint(dest: string, writeTokenizer: (file: string) => void): void {
  const src = demoCheckpointDir();
  for (const rel of DEMO_FILES) {
    const from = path.join(src, rel);
    if (!fs.existsSync(from)) {
      throw new EngineError('demo-checkpoint-missing', `the demo checkpoint lacks ${rel} (in ${src})`, {
        hint: 'restore it with `git checkout -- models/demo`',
      });
    }
    fs.mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
    fs.copyFileSync(from, path.join(dest, rel));
  }
  fs.mkdirSync(path.join(dest, 'tokenizer'), { recursive: true });
  writeTokenizer(path.join(dest, 'tokenizer', 'tokenizer.json'));
}
