'use client';
// "Compare" on a result: says, before anything runs, what the BF16 vs FP16 view will hold on this machine — the
// result's own precision (reused), each precision that will run as a new job with the same prompt, seed and
// settings, and each one that cannot run here with the reason — lets the user add FP16-safe and FP32, then starts it
// and opens its page /c/<id>. Deliberately decides availability with lib/precision.ts, the rule the server applies.
import { useMemo, useState } from 'react';
import { api, ApiError } from '@/lib/client/api.ts';
import { comparedPrecisions, DEFAULT_COMPARED, planComparison } from '@/lib/comparison.ts';
import type { ApiErrorBody } from '@/lib/errors.ts';
import { PRECISION_LABELS, precisionOptions } from '@/lib/precision.ts';
import type { ResultRecord } from '@/lib/results.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import { modelById } from '@/lib/state/studio-store.ts';
import type { Precision } from '@/inference/pipeline/types.ts';
import { buttonClass } from '@/components/ui/primitives.tsx';

const OPTIONAL: readonly Precision[] = ['fp16-safe', 'fp32'];

export function CompareLauncher({ record, onClose }: { record: ResultRecord; onClose: () => void }) {
  const system = useStudio((state) => state.system);
  const [extras, setExtras] = useState<Precision[]>([]);
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<ApiErrorBody | null>(null);
  const source = record.request.precision;
  const model = modelById(system, record.model.id);
  const options = useMemo(() => (system && model ? precisionOptions(system.system.precisions, model) : undefined), [system, model]);
  const asked = [...DEFAULT_COMPARED, ...extras];
  const plan = planComparison(
    source,
    comparedPrecisions(source, asked),
    options,
    system ? `${record.model.name} is no longer in the weights folder.` : 'the engine is not available, so what runs here is unknown.',
  );
  // Extra precisions are offered only when this machine can run them (the defaults stay, with the reason they cannot).
  const optional = OPTIONAL.filter((precision) => precision !== source && options?.some((option) => option.precision === precision && option.available));
  const runs = plan.filter((step) => step.action === 'submit').length;

  const start = async () => {
    setStarting(true);
    setError(null);
    try {
      const { url } = await api.compare(record.id, asked);
      window.location.assign(url);
    } catch (cause) {
      setError(cause instanceof ApiError ? cause.body : { code: 'client', message: String(cause) });
      setStarting(false);
    }
  };

  return (
    <div className="space-y-2.5 rounded-md border border-zinc-800 bg-zinc-950/60 p-3 text-xs" role="group" aria-label="Compare precisions" data-testid="compare-launcher">
      <p className="leading-relaxed text-zinc-300">
        The same prompt, seed and settings in each precision, side by side, with the difference between them.
      </p>
      <ul className="space-y-1.5" aria-label="What each precision will do">
        {plan.map((step) => (
          <li key={step.precision} className="flex gap-2" data-testid="compare-plan" data-precision={step.precision} data-action={step.action}>
            <span className="w-16 shrink-0 font-mono text-zinc-200">{PRECISION_LABELS[step.precision]}</span>
            <span className={step.action === 'unavailable' ? 'text-zinc-400' : 'text-zinc-300'}>
              {step.action === 'reuse' ? 'this result' : step.action === 'submit' ? 'runs as a new job' : `cannot run here: ${step.reason}`}
            </span>
          </li>
        ))}
      </ul>
      {optional.length > 0 && (
        <fieldset className="flex flex-wrap items-center gap-x-3 gap-y-1">
          <legend className="sr-only">Also compare</legend>
          <span className="text-zinc-400">Also:</span>
          {optional.map((precision) => (
            <label key={precision} className="inline-flex items-center gap-1.5 text-zinc-300">
              <input
                type="checkbox"
                className="accent-indigo-400"
                checked={extras.includes(precision)}
                onChange={(event) =>
                  setExtras((current) => (event.target.checked ? [...current, precision] : current.filter((entry) => entry !== precision)))
                }
              />
              {PRECISION_LABELS[precision]}
            </label>
          ))}
        </fieldset>
      )}
      <p className="text-zinc-400">
        {runs === 0
          ? 'Nothing new runs on this machine: the page shows this result and why the other precisions cannot run here.'
          : `${runs} new job${runs > 1 ? 's' : ''} join${runs > 1 ? '' : 's'} the queue; the engine loads each precision's pipeline in turn.`}
      </p>
      {error && (
        <p role="alert" className="text-rose-300">
          {error.message}
          {error.hint && <span className="block text-zinc-400">{error.hint}</span>}
        </p>
      )}
      <div className="flex gap-1.5">
        <button type="button" className={`${buttonClass.primary} px-3 py-1.5 text-xs`} onClick={() => void start()} disabled={starting}>
          {starting ? 'Starting…' : 'Open the comparison'}
        </button>
        <button type="button" className={buttonClass.ghost} onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
