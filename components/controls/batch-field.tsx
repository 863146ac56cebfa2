'use client';
// Images per Generate press (1–8) and whether a batch's seeds run on from the seed (seed, seed+1, …, reproducible
// from the first) or are drawn at random after the first. A batch is one job: one entry in Runs, one cancel.
import { batchSeeds, describeSeeds } from '@/lib/batch.ts';
import { COUNT_LIMITS } from '@/lib/params.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import { NumberField } from './number-field.tsx';

export function BatchField({ error }: { error?: string }) {
  const count = useStudio((state) => state.form.count);
  const seed = useStudio((state) => state.form.seed);
  const randomSeeds = useStudio((state) => state.form.randomSeeds);
  const setField = useStudio((state) => state.setField);
  const n = Number(count);
  const valid = Number.isInteger(n) && n >= COUNT_LIMITS.min && n <= COUNT_LIMITS.max && Number.isSafeInteger(Number(seed));
  const summary = valid ? describeSeeds(randomSeeds ? [Number(seed), ...Array(n - 1).fill(0)] : batchSeeds(Number(seed), n), randomSeeds) : '';
  return (
    <div className="space-y-1.5">
      <NumberField
        id="count"
        label="Images"
        aside="one job, one cancel"
        value={count}
        onChange={(value) => setField('count', value)}
        slider={{ min: COUNT_LIMITS.min, max: COUNT_LIMITS.max, step: 1 }}
        hint={{ tone: 'info', text: n > 1 && valid ? `${n} images: ${summary}.` : 'One image per press; up to 8 in one job.' }}
        error={error}
      />
      <label className="flex items-center gap-2 text-xs text-zinc-300">
        <input
          type="checkbox"
          className="h-3.5 w-3.5 accent-indigo-500"
          checked={randomSeeds}
          onChange={(event) => setField('randomSeeds', event.target.checked)}
        />
        Random seed for each image after the first
      </label>
    </div>
  );
}
