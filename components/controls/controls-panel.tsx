'use client';
// The left column: every control, the inline validation derived once from the form, and the Generate bar.
// Deliberately computes errors from the shared zod schema (lib/params.ts) so the browser refuses exactly what the
// server would, before any request is sent.
import { useEffect, useMemo } from 'react';
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
import { BatchField } from './batch-field.tsx';
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
  useFocusInvalid();

  return (
    <form
      className="flex min-h-full flex-col"
      aria-label="Generation settings"
      noValidate
      onSubmit={(event) => event.preventDefault()}
    >
      <div className="flex-1 space-y-5 px-4 pt-4 pb-5">
        {/* The prompt first: it is what a visit is for; the model line below it stays folded until opened. */}
        <PromptSection promptError={errors.prompt} />
        <ImageSection />
        <ModelSection />
        <LoraSection />
        <SamplingSection errors={errors} />
        <SizeSection errors={errors} />
        <Section title="Seed and batch">
          <SeedField error={errors.seed} />
          <BatchField error={errors.count} />
        </Section>
      </div>
      <GenerateBar invalid={Object.keys(errors).length > 0} />
    </form>
  );
}

/** The DOM id of each field's control, for focusing the first invalid one when Generate is pressed. */
const FIELD_IDS: Partial<Record<string, string>> = { negativePrompt: 'negative-prompt' };

function useFocusInvalid() {
  const request = useStudio((state) => state.focusRequest);
  useEffect(() => {
    if (!request) return;
    const element = document.getElementById(FIELD_IDS[request.field] ?? request.field);
    element?.focus();
    element?.scrollIntoView({ block: 'center' });
  }, [request]);
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
  const count = useStudio((state) => state.form.count);
  const waiting = useStudio((state) => state.jobs.filter((job) => job.status === 'queued').length);
  const running = useStudio((state) => state.jobs.find((job) => job.status === 'running'));
  const runningStep =
    running?.progress?.phase === 'denoise'
      ? `${running.progress.images ? `image ${running.progress.image}/${running.progress.images} · ` : ''}step ${running.progress.step}/${running.progress.totalSteps}`
      : running?.progress?.phase === 'decode' || running?.progress?.phase === 'png'
        ? 'decoding'
        : 'starting';

  return (
    // On a phone the bar is fixed to the bottom of the screen, so Generate stays reachable while looking at the
    // result further down; on wide screens it sticks to the bottom of the controls column.
    <div className="fixed inset-x-0 bottom-0 z-30 space-y-2 border-t border-zinc-800 bg-zinc-950/95 px-4 py-3 backdrop-blur lg:sticky lg:inset-x-auto" data-testid="generate-bar">
      {submitError && (
        <Callout tone="error" title={submitError.refused ? 'The server refused the job' : submitError.code === 'network' ? 'The server did not answer' : 'The server could not queue the job'}>
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
        {submitting ? 'Queuing…' : `Generate${Number(count) > 1 ? ` ${count} images` : ''}${running ? ' (queues after the current run)' : ''}`}
      </button>
      <p id="generate-summary" className="flex justify-between gap-2 font-mono text-[11px] text-zinc-400">
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
