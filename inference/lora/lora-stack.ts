// A request's LoRA stack, from names to a merged DiT: names resolved under the LoRA folder (WEIGHTS_DIR/loras,
// subfolders allowed) or files given by the CLI, each file's sha256 (cached by size and mtime), the stack's
// identity (files, hashes and non-zero weights: the same stack is never merged twice in a row), and the merge
// itself (lora-merge.ts) into an in-memory model for the DiT's session.
// It deliberately holds no session: the pipeline decides when to reload the DiT.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors.ts';
import type { DitConfig } from '../models/z-image-dit.ts';
import type { LoraRequest } from '../pipeline/types.ts';
import { validateStack } from './stack-rules.ts';

export { validateStack };
import { ortDeltaProduct } from './delta-graph.ts';
import { readLoraFile } from './lora-file.ts';
import { DitWeights } from './lora-map.ts';
import { inMemoryModel, mergeStack, stackEffects, type InMemoryModel, type LoraEffect } from './lora-merge.ts';

/** A stack entry with its file found and hashed. */
export interface ResolvedLora {
  name: string;
  file: string;
  weight: number;
  sha256: string;
}

/** The stack as it ran: the request's entries with their hashes, what each changed, and the merged model (none when nothing is active). */
export interface BuiltStack {
  key: string;
  /** Names, hashes and weights of every entry, zero weights included (what the pipeline compares). */
  identity?: string;
  loras: ResolvedLora[];
  effects: LoraEffect[];
  inMemory?: InMemoryModel;
  /** Milliseconds to read, merge and lay out the weights (0 when the stack was the base model). */
  mergeMs: number;
  /** Initializers that differ from the base model. */
  changedInitializers: number;
}

const hashes = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

/** sha256 of a file, cached while its size and mtime stay the same. */
export function fileSha256(file: string): string {
  const st = fs.statSync(file);
  const hit = hashes.get(file);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.sha256;
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  try {
    for (let pos = 0, n; (n = fs.readSync(fd, buf, 0, buf.length, pos)) > 0; pos += n) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  const sha256 = h.digest('hex');
  hashes.set(file, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
  return sha256;
}

/** A LoRA name → its file under `dir`: "style/film" is dir/style/film.safetensors; never outside `dir`. */
export function loraPath(dir: string, name: string): string {
  const rel = name.endsWith('.safetensors') ? name : `${name}.safetensors`;
  const file = path.resolve(dir, rel);
  if (path.isAbsolute(name) || !file.startsWith(path.resolve(dir) + path.sep) || name.split(/[\\/]/).includes('..')) {
    throw new EngineError('lora-bad-name', `LoRA name ${JSON.stringify(name)} is not a path inside the LoRA folder`, { hint: 'use the name GET /sdapi/v1/loras lists, e.g. "style/film-grain"' });
  }
  return file;
}

/** Finds and hashes each file; refuses a file whose hash differs from the one the request was resolved with. */
export function resolveStack(loraDir: string, loras: readonly LoraRequest[] | undefined): ResolvedLora[] {
  validateStack(loras);
  return (loras ?? []).map((l) => {
    const file = l.file ? path.resolve(l.file) : loraPath(loraDir, l.name);
    if (!fs.existsSync(file)) {
      throw new EngineError('lora-missing', `LoRA ${l.name} not found (${l.file ? file : `no ${path.relative(loraDir, file)} in ${loraDir}`})`, {
        hint: 'put .safetensors LoRAs in WEIGHTS_DIR/loras/ (subfolders allowed); GET /sdapi/v1/loras lists them',
      });
    }
    const sha256 = fileSha256(file);
    if (l.sha256 && l.sha256 !== sha256) {
      throw new EngineError('lora-changed', `LoRA ${l.name} changed on disk after the request was made (sha256 ${sha256.slice(0, 12)}, expected ${l.sha256.slice(0, 12)})`, { hint: 'send the request again' });
    }
    return { name: l.name, file, weight: l.weight, sha256 };
  });
}

/** The identity of a stack's effect: its active files (by hash) and weights, in order. Empty for the base model. */
export function stackKey(loras: readonly ResolvedLora[]): string {
  return loras.filter((l) => l.weight !== 0).map((l) => `${l.sha256}:${l.weight}`).join('|');
}

/**
 * Merges a resolved stack into the DiT of `dir` (a converted precision folder). `beforeMerge` runs once every file is
 * read and checked, before the weights are (the caller frees the previous stack's session there); `reuse` is an
 * in-memory model with the same merged weights (same active files and weights), kept instead of merging again.
 */
export async function buildStack(dir: string, ditFile: string, config: DitConfig, loras: ResolvedLora[],
  beforeMerge: () => Promise<void> = async () => {}, opts: { merge?: boolean } = {}): Promise<BuiltStack> {
  const t0 = performance.now();
  const model = new DitWeights(dir, ditFile, config);
  // Every file is read and checked against the model, weight 0 included: a wrong LoRA is refused at any weight.
  const stack = loras.map((l) => ({ name: l.name, weight: l.weight, lora: readLoraFile(l.file) }));
  const effects = stackEffects(model, stack);
  const key = stackKey(loras);
  if (opts.merge === false) return { key, loras, effects, mergeMs: 0, changedInitializers: 0 };
  // the previous stack's session goes now (also when the new stack is the base model: it loads from the files)
  await beforeMerge();
  if (!key) return { key, loras, effects, mergeMs: 0, changedInitializers: 0 };
  const { merged } = await mergeStack(model, stack, ortDeltaProduct);
  const inMemory = inMemoryModel(model, merged);
  return { key, loras, effects, inMemory, mergeMs: performance.now() - t0, changedInitializers: merged.size };
}

/**
 * The LoRA stack a pipeline's DiT holds, kept between requests: the same stack again costs a hash check; another one
 * has the DiT released (the callback), merged in memory, and loaded from `inMemory` on its next use; an empty stack
 * (or all weights 0) loads the converted files themselves. Every file is checked against the model before anything is
 * released, so a bad LoRA leaves the loaded stack as it was.
 */
export class DitLoras {
  private stack?: BuiltStack & { identity: string };
  /** How many stacks were merged so far (a repeated stack is not). */
  merges = 0;

  /**
   * `keepModel`: keep the merged copy after the session is made from it (sequential residency creates the DiT
   * session again every generation). Otherwise it is dropped once the session exists — onnxruntime copies in-memory
   * initializers into its own buffers (lora.test.ts checks it), so the copy would double the host memory — and
   * merged again only if the session must be created again without a stack change.
   */
  constructor(private readonly loraDir: string, private readonly dir: string, private readonly ditFile: string, private readonly config: DitConfig,
    private readonly keepModel = false) {}

  /** The merged DiT to create the DiT session from (merged again if it was dropped), or undefined: the converted files. */
  async model(): Promise<InMemoryModel | undefined> {
    const stack = this.stack;
    if (!stack?.key) return undefined;
    if (!stack.inMemory) {
      const again = await buildStack(this.dir, this.ditFile, this.config, stack.loras);
      this.merges++;
      stack.inMemory = again.inMemory;
    }
    return stack.inMemory;
  }

  /** The DiT session now holds its own copy of the merged weights: ours goes, unless kept for reloads. */
  sessionCreated(): void {
    if (this.stack && !this.keepModel) this.stack.inMemory = undefined;
  }

  async use(requests: readonly LoraRequest[] | undefined, releaseDit: () => Promise<void>): Promise<{ stack?: BuiltStack; ms: number }> {
    const t0 = performance.now();
    const resolved = resolveStack(this.loraDir, requests);
    const identity = JSON.stringify(resolved.map((l) => [l.name, l.sha256, l.weight]));
    if ((this.stack?.identity ?? '[]') === identity) return { stack: this.stack, ms: performance.now() - t0 };
    // Only names or zero-weight entries differ: the merged weights are the same, the session stays.
    const sameWeights = (this.stack?.key ?? '') === stackKey(resolved);
    // the session is kept; its merged copy too when there is one (else it stays dropped: the session has the weights)
    const kept = sameWeights ? this.stack?.inMemory : undefined;
    if (sameWeights) {
      // names or zero-weight entries changed only: the same weights; the files are still checked, nothing is merged
      const checked = await buildStack(this.dir, this.ditFile, this.config, resolved, async () => {}, { merge: false });
      this.stack = { ...checked, key: this.stack?.key ?? '', inMemory: kept, identity };
      return { stack: this.stack, ms: performance.now() - t0 };
    }
    const built = await buildStack(this.dir, this.ditFile, this.config, resolved, async () => {
      this.stack = undefined;
      await releaseDit();
    });
    this.stack = { ...built, identity };
    if (built.inMemory) this.merges++;
    return { stack: this.stack, ms: performance.now() - t0 };
  }
}
