// onnxruntime session settings that callers choose (the studio from lib/env.ts, the CLI and the benchmarks from
// their own environment): extra session config entries and the memory-pattern switch, plus the parser of their
// `key=value,…` text form. Plain data, no onnxruntime import, so lib/env.ts can parse them at start.
// It deliberately reads no environment variable itself: inference/ reads process.env only in cli/.
import { EngineError } from '../errors.ts';
import type { ExecutionProvider } from '../pipeline/types.ts';

export interface OrtOptions {
  /** onnxruntime session config entries (the keys of onnxruntime_session_options_config_keys.h). */
  config?: Record<string, string>;
  /** Forces onnxruntime's memory pattern on or off (default: see memPattern). */
  memPattern?: boolean;
}

/**
 * Whether onnxruntime plans a memory pattern per input shape. Off on CUDA: on the full-size model it held 4 GiB more
 * VRAM at peak (30,740 against 26,572 MiB) and cost the VAE decode ~80 ms on each new shape's first run, with the
 * same steady-state speed (bench/results/2026-11-28-h200-s4/). On the CPU onnxruntime's default (on) stays.
 * A setting of '1' or '0' (ZIMAGE_ORT_MEM_PATTERN) forces it either way (for measuring).
 */
export function memPattern(ep: ExecutionProvider, setting: string | undefined): boolean {
  if (setting === '1' || setting === '0') return setting === '1';
  return ep !== 'cuda';
}

/**
 * onnxruntime session config entries from their text form (`ZIMAGE_ORT_CONFIG`: "key=value,key=value", e.g.
 * "session.use_device_allocator_for_initializers=1"), for measuring and tuning without a rebuild. Undefined when
 * empty; a malformed entry throws.
 */
export function ortConfigEntries(spec: string | undefined): Record<string, string> | undefined {
  if (!spec?.trim()) return undefined;
  const out: Record<string, string> = {};
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = item.match(/^([a-z_]+(?:\.[a-z_0-9]+)+)=(.+)$/i);
    if (!m) {
      throw new EngineError('bad-ort-config', `ZIMAGE_ORT_CONFIG entry ${JSON.stringify(item)} is not key=value`, {
        hint: 'write dotted onnxruntime config keys, e.g. ZIMAGE_ORT_CONFIG=session.use_device_allocator_for_initializers=1',
      });
    }
    out[m[1]] = m[2];
  }
  return out;
}

/** The OrtOptions of a ZIMAGE_ORT_CONFIG / ZIMAGE_ORT_MEM_PATTERN pair of settings (for the CLI and the benchmarks). */
export function ortOptionsFrom(config: string | undefined, memPatternSetting: string | undefined): OrtOptions {
  const options: OrtOptions = {};
  const entries = ortConfigEntries(config);
  if (entries) options.config = entries;
  if (memPatternSetting === '1' || memPatternSetting === '0') options.memPattern = memPatternSetting === '1';
  return options;
}
