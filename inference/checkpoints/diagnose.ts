// Messages that diagnose what a user passed when it is not a model we can read, each naming what the file is and
// what to do: a Git LFS pointer instead of the weights, a partial Hugging Face hub download (blobs still
// `.incomplete`, a snapshot link to a missing blob, a truncated file), an index whose shards are not all there, and
// a LoRA passed where a model belongs. Pure checks on paths, sizes and key names; they throw EngineErrors.
// It deliberately does not repair or download anything.
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors.ts';

const LFS_MAGIC = 'version https://git-lfs.github.com/spec/';

/** If `file` sits in a hub cache snapshot (`models--Org--Name/snapshots/<rev>/…`), the repo id and its blobs folder. */
export function hubCache(file: string): { repo: string; blobs: string; incomplete: string[] } | undefined {
  const parts = path.resolve(file).split(path.sep);
  const snap = parts.lastIndexOf('snapshots');
  if (snap < 1 || !parts[snap - 1].startsWith('models--')) return undefined;
  const root = parts.slice(0, snap).join(path.sep) || path.sep;
  const blobs = path.join(root, 'blobs');
  const incomplete = fs.existsSync(blobs) ? fs.readdirSync(blobs).filter((n) => n.endsWith('.incomplete')) : [];
  return { repo: parts[snap - 1].slice('models--'.length).replace('--', '/'), blobs, incomplete };
}

function hubHint(hub: { repo: string; incomplete: string[] }): string {
  return `the Hugging Face download of ${hub.repo} did not finish${hub.incomplete.length ? ` (${hub.incomplete.length} blob${hub.incomplete.length > 1 ? 's are' : ' is'} still .incomplete)` : ''}: run \`huggingface-cli download ${hub.repo}\` again and convert when it completes`;
}

/** Why a path that does not resolve to a file is missing: a snapshot link to an absent blob, or plain absence. */
export function missingPathProblem(p: string, what: string): EngineError {
  let dangling = false;
  try {
    dangling = fs.lstatSync(p).isSymbolicLink();
  } catch { /* absent */ }
  const hub = hubCache(p);
  if (dangling || hub?.incomplete.length) {
    return new EngineError('checkpoint-partial-download', `${what} ${p} ${dangling ? 'is a link to a blob that is not there' : 'does not exist'}${hub ? ` (hub cache of ${hub.repo})` : ''}`, {
      hint: hub ? hubHint(hub) : 'the link points at a file that was removed or never finished downloading: download it again',
    });
  }
  return new EngineError('checkpoint-not-found', `${what} ${p} does not exist`, {
    hint: 'pass a diffusers folder, a ComfyUI models/ folder, or .safetensors / .gguf files',
  });
}

/** Checks one file before its header is parsed: Git LFS pointers, and blobs of an unfinished hub download. */
export function diagnoseFile(file: string): void {
  if (!fs.existsSync(file)) throw missingPathProblem(file, 'file');
  const size = fs.statSync(file).size;
  if (file.endsWith('.incomplete')) {
    throw new EngineError('checkpoint-partial-download', `${file} is an unfinished download (${size} bytes so far)`, { hint: 'let the download finish (or start it again), then convert the finished file' });
  }
  if (size < 1024) {
    const head = fs.readFileSync(file, 'utf8');
    if (head.startsWith(LFS_MAGIC)) {
      const bytes = head.match(/^size (\d+)$/m)?.[1];
      throw new EngineError('checkpoint-lfs-pointer', `${file} is a Git LFS pointer (${size} bytes${bytes ? ` standing for a ${bytes}-byte file` : ''}), not the weights`, {
        hint: 'the repository was cloned without its large files: run `git lfs pull` in it (or `git lfs install` and clone again), or download the file itself',
      });
    }
  }
}

/** A header that claims more data than the file holds: a truncated file, most often an interrupted download. */
export function truncation(file: string, needEnd: number, size: number): { why: string; hint: string } {
  const hub = hubCache(file);
  return {
    why: `the file is truncated (${size} of at least ${needEnd} bytes, ${((100 * size) / needEnd).toFixed(1)} %)`,
    hint: hub ? hubHint(hub) : 'the file is incomplete (an interrupted download or copy): download it again',
  };
}

/** Every shard an index names must exist; the error lists the missing and the present ones. */
export function diagnoseMissingShards(index: string, shards: string[]): void {
  const missing = shards.filter((s) => !fs.existsSync(s));
  if (!missing.length) return;
  const present = shards.filter((s) => fs.existsSync(s));
  const hub = hubCache(index);
  const names = (l: string[]) => l.map((s) => path.basename(s)).join(', ');
  throw new EngineError('checkpoint-missing-shard', `${index} names ${shards.length} shards but ${missing.length} ${missing.length > 1 ? 'are' : 'is'} missing: ${names(missing)}${present.length ? ` (present: ${names(present)})` : ''}`, {
    hint: hub ? hubHint(hub) : `download the missing shard${missing.length > 1 ? 's' : ''} into ${path.dirname(index)} (a sharded checkpoint needs every file its index lists)`,
  });
}

const LORA_KEY = /(^|\.|_)lora_(A|B|up|down)(\.|$)|^lora_(unet|te)_|\.lora\.(up|down)\./;

/**
 * If the keys are a LoRA's (trainer formats of ai-toolkit, kohya/musubi, DiffSynth, diffusers/peft), what it is:
 * tensor count and rank. Undefined for anything else.
 */
export function loraSummary(keys: string[], shapeOf: (key: string) => number[]): { tensors: number; rank?: number } | undefined {
  const lora = keys.filter((k) => LORA_KEY.test(k));
  if (!lora.length || lora.length < keys.length / 2) return undefined;
  const down = lora.find((k) => /lora_(A|down)/.test(k));
  const rank = down ? shapeOf(down)[0] : undefined;
  return { tensors: keys.length, rank };
}

export function loraError(src: string, summary: { tensors: number; rank?: number }): EngineError {
  return new EngineError('convert-lora-file', `${src} is a LoRA (${summary.tensors} tensors${summary.rank ? `, rank ${summary.rank}` : ''}), not a model: it holds only changes to a model's weights`, {
    hint: `convert the base model it was trained for (Z-Image-Turbo, or the fine-tune it names) instead, and apply the LoRA on top of it when generating: put it in WEIGHTS_DIR/loras/ for the studio, or pass it with \`zimage generate … --lora ${path.basename(src)}:0.8\`; a LoRA is never converted on its own`,
  });
}
