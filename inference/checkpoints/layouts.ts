// Checkpoint layouts beyond one file per component: all-in-one files (DiT + text encoder + VAE in one
// safetensors, ComfyUI CheckpointSave prefixes) split into one view per component, and a ComfyUI `models/` folder
// searched for the Z-Image DiT (`diffusion_models/` or `unet/`), the Qwen3 text encoder (`text_encoders/` or
// `clip/`) and the FLUX VAE (`vae/`), keeping only files whose tensors fit and naming the candidates when several do.
// It deliberately reads headers only (no weights) and decides nothing about precision.
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors.ts';
import { Checkpoint } from '../safetensors.ts';
import type { ComponentName } from '../pipeline/types.ts';

/** Key prefixes of an all-in-one file, longest first (ComfyUI's Lumina2/Z-Image and older SD-style savers). */
export const AIO_PREFIXES: [ComponentName, string][] = [
  ['dit', 'model.diffusion_model.'],
  ['te', 'text_encoders.qwen3_4b.transformer.'],
  ['te', 'text_encoders.qwen3_4b.'],
  ['te', 'cond_stage_model.transformer.'],
  ['te', 'cond_stage_model.'],
  ['vae', 'first_stage_model.'],
  ['vae', 'vae.'],
];

/**
 * Splits an all-in-one checkpoint by prefix into one view per component (prefix stripped), or returns undefined
 * when fewer than two components' prefixes are present. Keys under no known prefix are returned as `leftover`.
 */
export function splitAllInOne(ckpt: Checkpoint): { parts: Partial<Record<ComponentName, Checkpoint>>; prefixes: Partial<Record<ComponentName, string>>; leftover: string[] } | undefined {
  const groups = new Map<ComponentName, { prefix: string; keys: string[] }>();
  const leftover: string[] = [];
  for (const key of ckpt.keys()) {
    const hit = AIO_PREFIXES.find(([, p]) => key.startsWith(p));
    if (!hit) { leftover.push(key); continue; }
    const [name, prefix] = hit;
    const g = groups.get(name) ?? { prefix, keys: [] };
    g.keys.push(key);
    groups.set(name, g);
  }
  if (groups.size < 2) return undefined;
  const parts: Partial<Record<ComponentName, Checkpoint>> = {};
  const prefixes: Partial<Record<ComponentName, string>> = {};
  for (const [name, g] of groups) {
    parts[name] = ckpt.view(g.keys, (k) => {
      const p = AIO_PREFIXES.find(([n, pre]) => n === name && k.startsWith(pre))![1];
      return k.slice(p.length);
    });
    prefixes[name] = g.prefix;
  }
  return { parts, prefixes, leftover };
}

// ---- ComfyUI models/ folder ----------------------------------------------------------------------------------------

const SUBFOLDERS: Record<ComponentName, string[]> = { dit: ['diffusion_models', 'unet'], te: ['text_encoders', 'clip'], vae: ['vae'] };
const WEIGHT_FILE = /\.(safetensors|gguf)$/;

/**
 * True for a folder laid out like ComfyUI's `models/`: one of its DiT or text-encoder subfolders (a lone vae/ is
 * also a diffusers folder's).
 */
export function isModelsRoot(dir: string): boolean {
  return fs.statSync(dir).isDirectory() && [...SUBFOLDERS.dit, ...SUBFOLDERS.te].some((d) => fs.existsSync(path.join(dir, d)));
}

function weightFiles(dir: string, depth = 3): string[] {
  if (!fs.existsSync(dir) || depth < 0) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...weightFiles(p, depth - 1));
    else if (WEIGHT_FILE.test(e.name)) out.push(p);
  }
  return out.sort();
}

/**
 * Whether a file's tensors are a Z-Image component of this kind (headers only): the DiT has a 256-wide (or
 * narrower) timestep embedding (Lumina 2's is 1024), the text encoder Qwen3's q_norm (Qwen2.5, T5 have none),
 * the VAE a 16-channel latent (SD/SDXL VAEs have 4).
 */
export function fitsComponent(ckpt: Checkpoint, name: ComponentName): boolean {
  const find = (re: RegExp) => ckpt.keys().find((k) => re.test(k));
  if (name === 'dit') {
    const t = find(/(^|\.)t_embedder\.mlp\.2\.weight$/);
    return !!find(/(^|\.)cap_embedder\.1\.weight$/) && !!t && ckpt.get(t).shape[0] <= 256;
  }
  if (name === 'te') return !!find(/(^|\.)embed_tokens\.weight$/) && !!find(/(^|\.)layers\.0\.self_attn\.q_norm\.weight$/);
  const conv = find(/(^|\.)decoder\.conv_in\.weight$/);
  return !!conv && ckpt.get(conv).shape[1] === 16;
}

/**
 * The component files of a ComfyUI models/ folder, for the components in `wanted`: each subfolder's files whose
 * tensors fit (unreadable files are skipped and named if nothing fits). Several fitting files: an error that lists
 * them and says how to pick one.
 */
export function findInModelsRoot(root: string, wanted: ComponentName[]): Partial<Record<ComponentName, string>> {
  const found: Partial<Record<ComponentName, string>> = {};
  for (const name of wanted) {
    const dirs = SUBFOLDERS[name].map((d) => path.join(root, d)).filter((d) => fs.existsSync(d));
    const fits: string[] = [];
    for (const file of dirs.flatMap((d) => weightFiles(d))) {
      try {
        if (fitsComponent(Checkpoint.open(file), name)) fits.push(file);
      } catch { /* not a readable checkpoint (LFS pointer, other format): not a candidate */ }
    }
    if (fits.length === 1) found[name] = fits[0];
    if (fits.length > 1) {
      const what = name === 'dit' ? 'Z-Image DiTs' : name === 'te' ? 'Qwen3 text encoders' : 'FLUX VAEs';
      throw new EngineError('convert-ambiguous-component', `${root} holds ${fits.length} ${what}: ${fits.map((f) => path.relative(root, f)).join(', ')}`, {
        hint: `pick one by passing it as a source next to the folder, e.g. zimage convert ${root} ${fits[0]} --out …; the folder then supplies only the other components`,
      });
    }
  }
  return found;
}

/** Which subfolders a models/ folder search looked in, for a missing-component message. */
export function searchedFolders(name: ComponentName): string {
  return SUBFOLDERS[name].map((d) => `${d}/`).join(' or ');
}
