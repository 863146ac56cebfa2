'use client';
// Presets, steps and CFG, each with the advice for its current value, for the selected model's variant (Turbo's
// distilled step bands and CFG off; Z-Image base's 28–50 steps with CFG on). CFG > 1 doubles the work.
import { cfgHint, stepsHint } from '@/lib/hints.ts';
import { CFG_LIMITS, presetsFor, STEP_LIMITS } from '@/lib/params.ts';
import { modelById } from '@/lib/state/studio-store.ts';
import type { ParamField } from '@/lib/params.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import { Section } from '@/components/ui/primitives.tsx';
import { NumberField } from './number-field.tsx';

export function SamplingSection({ errors }: { errors: Partial<Record<ParamField, string>> }) {
  const steps = useStudio((state) => state.form.steps);
  const cfg = useStudio((state) => state.form.cfg);
  const setField = useStudio((state) => state.setField);
  const applyPreset = useStudio((state) => state.applyPreset);
  const variant = useStudio((state) => modelById(state.system, state.form.model)?.variant ?? 'turbo');

  return (
    <Section title="Sampling">
      <div className="grid grid-cols-2 gap-2" role="group" aria-label="Presets">
        {presetsFor(variant).map((preset) => {
          const active = Number(steps) === preset.steps && Number(cfg) === preset.cfg;
          return (
            <button
              key={preset.id}
              type="button"
              aria-pressed={active}
              title={preset.description}
              onClick={() => applyPreset(preset)}
              className={`rounded-md border px-2.5 py-2 text-left transition ${
                active ? 'border-indigo-400/70 bg-indigo-500/10' : 'border-zinc-800 bg-zinc-900 hover:border-zinc-600'
              }`}
            >
              <span className="block text-xs font-medium text-zinc-100">{preset.label}</span>
              <span className="block font-mono text-[11px] text-zinc-400">
                {preset.steps} steps · CFG {preset.cfg}
              </span>
            </button>
          );
        })}
      </div>
      <NumberField
        id="steps"
        label="Steps"
        value={steps}
        onChange={(value) => setField('steps', value)}
        slider={{ min: 1, max: variant === 'base' ? 60 : 30, step: 1 }}
        keys={{ min: STEP_LIMITS.min, max: STEP_LIMITS.max, step: 1 }}
        hint={stepsHint(Number(steps), variant)}
        error={errors.steps}
      />
      <NumberField
        id="cfg"
        label="CFG"
        aside="classic: 1 = off"
        value={cfg}
        inputMode="decimal"
        onChange={(value) => setField('cfg', value)}
        slider={{ min: 1, max: 8, step: 0.5 }}
        keys={{ min: CFG_LIMITS.min, max: CFG_LIMITS.max, step: 0.5 }}
        hint={cfgHint(Number(cfg), variant)}
        error={errors.cfg}
      />
    </Section>
  );
}
