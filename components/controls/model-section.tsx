'use client';
// Model and precision pickers. A precision is selectable only when the machine can run it AND the model has it
// converted; the others stay visible, disabled, with the reason. Also the load-time audit of the selected precision
// (audit-panel.tsx) and the notes on the embedded models (the trained demo, the tiny random one).
// Deliberately reads availability from lib/precision.ts, the same rule the server enforces.
import { useMemo } from 'react';
import { PRECISION_LABELS, PRECISION_NOTES, precisionOptions } from '@/lib/precision.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import { modelById } from '@/lib/state/studio-store.ts';
import { Callout, Hint, Label, Section, inputClass } from '@/components/ui/primitives.tsx';
import { AuditPanel } from './audit-panel.tsx';

export function ModelSection() {
  const system = useStudio((state) => state.system);
  const modelId = useStudio((state) => state.form.model);
  const precision = useStudio((state) => state.form.precision);
  const setModel = useStudio((state) => state.setModel);
  const setField = useStudio((state) => state.setField);
  const model = modelById(system, modelId);
  const options = useMemo(
    () => (system && model ? precisionOptions(system.system.precisions, model) : []),
    [system, model],
  );
  const unavailable = options.filter((option) => !option.available);

  if (!system) return null;

  // Folded to one line until opened (issue 18: on first visit the prompt must be in view, on a phone too): the
  // model, its precision and whether the audit holds are what a designer needs to see, the pickers when changing them.
  return (
    <Section title="Model">
      <details className="group rounded-md border border-zinc-800 bg-zinc-950/60 [&_summary::-webkit-details-marker]:hidden" data-testid="model-section">
        <summary className="flex cursor-pointer select-none items-center justify-between gap-2 px-2.5 py-2 text-xs text-zinc-300 hover:text-zinc-100">
          <span className="min-w-0 truncate">
            <span className="text-zinc-100">{model?.name ?? 'No model'}</span>
            {precision && <span className="font-mono"> · {PRECISION_LABELS[precision]}</span>}
            <span className="text-zinc-400"> · change model or precision</span>
          </span>
          <span aria-hidden="true" className="text-zinc-400 transition group-open:rotate-90">
            ›
          </span>
        </summary>
        <div className="space-y-3 border-t border-zinc-800 px-2.5 py-2.5">
      <div className="space-y-1.5">
        <Label htmlFor="model">Model</Label>
        <select
          id="model"
          className={inputClass}
          value={modelId ?? ''}
          onChange={(event) => setModel(event.target.value)}
        >
          {system.models.map((entry) => (
            <option key={entry.id} value={entry.id}>
              {entry.name}
              {entry.variant === 'base' ? ' · Z-Image base' : ''}
            </option>
          ))}
        </select>
      </div>

      <fieldset className="space-y-1.5">
        <legend className="mb-1.5 text-sm font-medium text-zinc-200">Precision</legend>
        <div className="grid grid-cols-4 gap-1 rounded-md border border-zinc-800 bg-zinc-950 p-1">
          {options.map((option) => (
            <label
              key={option.precision}
              title={option.available ? PRECISION_NOTES[option.precision] : option.reason}
              className={`relative flex cursor-pointer items-center justify-center rounded px-1 py-1.5 font-mono text-xs transition has-[:checked]:bg-zinc-700 has-[:checked]:text-white has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-indigo-400 ${
                option.available ? 'text-zinc-300 hover:bg-zinc-800' : 'cursor-not-allowed text-zinc-500 line-through'
              }`}
            >
              <input
                type="radio"
                name="precision"
                className="sr-only"
                value={option.precision}
                checked={precision === option.precision}
                disabled={!option.available}
                aria-describedby={option.available ? undefined : `precision-reason-${option.precision}`}
                onChange={() => setField('precision', option.precision)}
              />
              {PRECISION_LABELS[option.precision]}
            </label>
          ))}
        </div>
        {precision && <Hint>{PRECISION_NOTES[precision]}</Hint>}
        {model && precision && <AuditPanel model={model.id} precision={precision} />}
        {unavailable.length > 0 && (
          <ul className="space-y-0.5 text-xs text-zinc-400" aria-label="Unavailable precisions">
            {unavailable.map((option) => (
              <li key={option.precision} id={`precision-reason-${option.precision}`}>
                <span className="font-mono text-zinc-400">{PRECISION_LABELS[option.precision]}</span>: {option.reason}
              </li>
            ))}
          </ul>
        )}
      </fieldset>
        </div>
      </details>

      {model?.demo && (
        <Callout title="Demo model, trained on drawn portraits" testId="demo-model-note">
          {model.demo.about} Try &ldquo;red hair, blue background, glasses&rdquo; or &ldquo;蓝色背景，金色长发&rdquo;, change the
          seed, or set CFG above 1 with a negative prompt. For real portraits,{' '}
          <a className="font-medium text-amber-200 underline underline-offset-2 hover:text-white" href="/readme#adding-real-weights">
            add real weights (README: Adding real weights)
          </a>
          .
        </Callout>
      )}
      {model?.tiny && (
        <Callout title="Tiny random-weights demo model" testId="tiny-model-note">
          Random weights, so its images are noise by design. For real portraits,{' '}
          <a className="font-medium text-amber-200 underline underline-offset-2 hover:text-white" href="/readme#adding-real-weights">
            add real weights (README: Adding real weights)
          </a>
          .
        </Callout>
      )}
    </Section>
  );
}
