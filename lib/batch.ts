// The seeds of a batch: one job of `count` images runs seed, seed+1, … seed+count−1 (what A1111 and ComfyUI do, so a
// batch is reproducible from its first seed), or, with "random each", the first seed and count−1 fresh random ones.
// Shared by the server (which resolves the seeds once, at submit time, so the job's record says exactly what ran) and
// the browser (which shows the range before Generate). Deliberately no engine and no I/O.
import { randomSeed, SEED_MAX } from './params.ts';

/**
 * The seed of every image. Consecutive seeds that would pass 2^53 − 1 wrap to 0, so a batch from the largest seed
 * is still valid instead of refused.
 */
export function batchSeeds(seed: number, count: number, random = false, draw: () => number = randomSeed): number[] {
  return Array.from({ length: count }, (_, index) => (index === 0 ? seed : random ? draw() : (seed + index) % (SEED_MAX + 1)));
}

/** "seeds 42–45" / "seed 42" / "seed 42 and 3 random": for the Generate summary and the job card. */
export function describeSeeds(seeds: readonly number[], random: boolean): string {
  if (seeds.length <= 1) return `seed ${seeds[0]}`;
  if (random) return `seed ${seeds[0]} and ${seeds.length - 1} random`;
  const last = seeds[seeds.length - 1];
  return last > seeds[0] ? `seeds ${seeds[0]}–${last}` : `seeds ${seeds.join(', ')}`;
}

/**
 * Splits the studio parameters into the one-image request the engine runs and the batch around it (what both
 * catalogues, this process's engine and the Redis workers', put in a JobInput). A single image with previews on
 * leaves the JobInput as it always was; `batch` and `preview: false` appear only when asked for.
 */
export function splitBatch<P extends { seed: number; count: number; randomSeeds: boolean; preview: boolean }>(
  params: P,
): { request: Omit<P, 'count' | 'randomSeeds' | 'preview'>; batch?: { seeds: number[]; random: boolean }; preview?: false } {
  const { count, randomSeeds, preview, ...request } = params;
  return {
    request,
    ...(count > 1 ? { batch: { seeds: batchSeeds(params.seed, count, randomSeeds), random: randomSeeds } } : {}),
    ...(preview ? {} : { preview: false as const }),
  };
}
