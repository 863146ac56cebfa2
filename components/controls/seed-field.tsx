'use client';
// Seed with a randomize button. Seeds span 0..2^53−1 so they stay exact in JSON; the same seed, settings and
// precision reproduce the image.
import { steppedValue } from '@/lib/keys.ts';
import { SEED_MAX } from '@/lib/params.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import { DiceIcon } from '@/components/ui/icons.tsx';
import { FieldError, Hint, Label, buttonClass, inputClass } from '@/components/ui/primitives.tsx';

export function SeedField({ error }: { error?: string }) {
  const seed = useStudio((state) => state.form.seed);
  const setField = useStudio((state) => state.setField);
  const randomizeSeed = useStudio((state) => state.randomizeSeed);
  const keepSeed = useStudio((state) => state.keepSeed);
  const setKeepSeed = useStudio((state) => state.setKeepSeed);
  return (
    <div className="space-y-1.5">
      <Label htmlFor="seed">Seed</Label>
      <div className="flex gap-2">
        <input
          id="seed"
          type="text"
          inputMode="numeric"
          autoComplete="off"
          className={`${inputClass} font-mono tabular-nums`}
          value={seed}
          onChange={(event) => setField('seed', event.target.value)}
          onKeyDown={(event) => {
            const next = steppedValue(seed, event.key, event.shiftKey, { step: 1, min: 0, max: SEED_MAX });
            if (next === null) return;
            event.preventDefault();
            setField('seed', next);
          }}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'seed-error' : 'seed-hint'}
        />
        <button type="button" className={`${buttonClass.secondary} shrink-0`} onClick={randomizeSeed} aria-label="Randomize seed" title="Randomize seed">
          <DiceIcon />
        </button>
      </div>
      <label className="flex items-center gap-2 text-xs text-zinc-300">
        <input
          type="checkbox"
          className="h-3.5 w-3.5 accent-indigo-500"
          checked={keepSeed}
          onChange={(event) => setKeepSeed(event.target.checked)}
        />
        Keep this seed for the next runs
      </label>
      {error ? (
        <FieldError id="seed-error">{error}</FieldError>
      ) : (
        <Hint id="seed-hint">
          {keepSeed
            ? 'Same seed + settings + precision = the same image.'
            : 'A new random seed is drawn after each run; every result keeps the seed it used.'}
        </Hint>
      )}
    </div>
  );
}
