'use client';
// The left column: every control, the inline validation derived once from the form, and the Generate bar.
// Deliberately computes errors from the shared zod schema (lib/params.ts) so the browser refuses exactly what the
// server would, before any request is sent.
import { useMemo } from 'react';
import { paramFieldErrors } from '@/lib/params.ts';
import { PRECISION_LABELS, epLabel } from '@/lib/precision.ts';
import { formToInput } from '@/lib/state/form.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import { Callout, Section, buttonClass } from '@/components/ui/primitives.tsx';
import { ImageSection } from './image-section.tsx';
import { ModelSection } from './model-section.tsx';
import { LoraSection } from './lora-section.tsx';
import { PromptSection } from './prompt-section.tsx';
import { SamplingSection } from './sampling-section.tsx';
import { SeedField } from './seed-field.tsx';
import { SizeSection } from './size-section.tsx';

export function ControlsPanel() {
  const form = useStudio((state) => state.form);
  const attempted = useStudio((state) => state.attempted);
  const errors = useMemo(() => {
    const all = paramFieldErrors(formToInput(form));
    // An empty prompt is the starting state, not a mistake, until the user presses Generate.
    if (!attempted) delete all.prompt;
    return all;
  }, [form, attempted]);

  return (
    <form
      className="flex min-h-full flex-col"
      aria-label="Generation settings"
      noValidate
      onSubmit={(event) => event.preventDefault()}
    >
      <div className="flex-1 space-y-5 px-4 pt-4 pb-5">
        <ModelSection />
        <PromptSection promptError={errors.prompt} />
        <ImageSection />
        <LoraSection />
        <SamplingSection errors={errors} />
        <SizeSection errors={errors} />
        <Section title="Seed">
          <SeedField error={errors.seed} />
        </Section>
      </div>
      <GenerateBar invalid={Object.keys(errors).length > 0} />
    </form>
  );
}

function GenerateBar({ invalid }: { invalid: boolean }) {
  const submit = useStudio((state) => state.submit);
  const submitting = useStudio((state) => state.submitting);
  const submitError = useStudio((state) => state.submitError);
  const ready = useStudio((state) => state.system !== null);
  const ep = useStudio((state) => state.system?.ep);
  const precision = useStudio((state) => state.form.precision);
  const width = useStudio((state) => state.form.width);
  const height = useStudio((state) => state.form.height);
  const steps = useStudio((state) => state.form.steps);
  const waiting = useStudio((state) => state.jobs.filter((job) => job.status === 'queued').length);
  const running = useStudio((state) => state.jobs.find((job) => job.status === 'running'));
  const runningStep = running?.progress?.phase === 'denoise' ? `step ${running.progress.step}/${running.progress.totalSteps}` : 'starting';

  return (
    <div className="sticky bottom-0 space-y-2 border-t border-zinc-800 bg-zinc-950/95 px-4 py-3 backdrop-blur">
      {submitError && (
        <Callout tone="error" title="The server refused the job">
          {submitError.message}
          {submitError.hint && <span className="block text-zinc-400">{submitError.hint}</span>}
        </Callout>
      )}
      <button
        type="button"
        className={`${buttonClass.primary} w-full py-2.5`}
        onClick={() => void submit()}
        disabled={submitting || !ready}
        aria-describedby="generate-summary"
      >
        {submitting ? 'Queuing…' : running ? 'Generate (queues after the current run)' : 'Generate'}
      </button>
      <p id="generate-summary" className="flex justify-between gap-2 font-mono text-[11px] text-zinc-500">
        <span className="truncate">
          {width}×{height} · {steps} steps · {precision ? PRECISION_LABELS[precision] : '—'} · {ep ? epLabel(ep) : '—'}
        </span>
        <span className={`shrink-0 ${running ? 'text-indigo-300' : ''}`}>
          {running ? `${runningStep}${waiting ? ` · ${waiting} waiting` : ''}` : 'idle'}
        </span>
      </p>
      {invalid && <p className="text-[11px] text-rose-400">Fix the fields marked in red to generate.</p>}
    </div>
  );
}
