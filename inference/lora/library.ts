// The LoRA folder (WEIGHTS_DIR/loras, subfolders allowed): every .safetensors file with its name (the path under
// the folder without the extension, "/"-separated), size, the file's own metadata (kohya ss_*, modelspec, ai-toolkit)
// and what its keys say (format, modules, or why it cannot be applied). Reads headers only, cached per file while
// its size and mtime stay the same; hashes are computed when a file is used (lora-stack.ts), not when listed.
// It deliberately checks files against no model: a LoRA's fit depends on the model it is applied to.
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors.ts';
import { loraInfo, readLoraFile, type LoraFormat, type LoraInfo } from './lora-file.ts';

export interface LoraListing {
  name: string;
  /** ss_output_name or modelspec.title when the file has one, else the name (A1111's alias). */
  alias: string;
  path: string;
  bytes: number;
  modifiedAt: string;
  metadata: Record<string, string>;
  info: LoraInfo;
  formats: LoraFormat[];
  modules: number;
  /** Why the file cannot be applied (not a LoRA, DoRA, …), when it cannot. */
  problem?: string;
}

const cache = new Map<string, { size: number; mtimeMs: number; listing: LoraListing }>();
const MAX_FILES = 2000;

function walk(dir: string, out: string[]): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || out.length >= MAX_FILES) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.isFile() && entry.name.toLowerCase().endsWith('.safetensors')) out.push(full);
  }
}

/** Every LoRA file under `dir` (none when the folder does not exist), sorted by name. */
export function listLoras(dir: string): LoraListing[] {
  if (!fs.existsSync(dir)) return [];
  const files: string[] = [];
  walk(dir, files);
  return files.map((file) => {
    const st = fs.statSync(file);
    const hit = cache.get(file);
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.listing;
    const name = path.relative(dir, file).split(path.sep).join('/').replace(/\.safetensors$/i, '');
    let listing: LoraListing = { name, alias: name, path: file, bytes: st.size, modifiedAt: st.mtime.toISOString(), metadata: {}, info: loraInfo({}), formats: [], modules: 0 };
    try {
      const lora = readLoraFile(file);
      const info = loraInfo(lora.metadata);
      listing = { ...listing, alias: lora.metadata.ss_output_name || info.title || name, metadata: lora.metadata, info, formats: lora.formats, modules: lora.modules.length };
    } catch (e) {
      listing.problem = e instanceof EngineError ? e.message.replace(/^[^:]*\.safetensors: /, '') : String(e);
    }
    cache.set(file, { size: st.size, mtimeMs: st.mtimeMs, listing });
    return listing;
  });
}
