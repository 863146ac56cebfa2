'use client';
// The load-time audit of the selected model and precision, under the precision picker: per component, the dtype of
// its weights by bytes, the dtype its heavy ops compute in, and the parts kept in fp32 on purpose, by name — what
// the pipeline checks before it loads, read from the ONNX files themselves. Fetched when the selection changes;
// the answer is UI state of this panel only, never part of a job.
import { useEffect, useState } from 'react';
import { formatBytes, type ModelAuditView } from '@/lib/audit.ts';
import { api, ApiError } from '@/lib/client/api.ts';
import type { ApiErrorBody } from '@/lib/errors.ts';
import { dtypeLabel, formatShare, formatShares } from '@/lib/evidence.ts';
import { PRECISION_LABELS } from '@/lib/precision.ts';
import type { Precision } from '@/inference/pipeline/types.ts';

const COMPONENT_LABELS = { te: 'Text encoder', dit: 'DiT', vae: 'VAE' } as const;

type State = { status: 'loading' } | { status: 'ready'; audit: ModelAuditView } | { status: 'error'; error: ApiErrorBody };

export function AuditPanel({ model, precision }: { model: string; precision: Precision }) {
  const [state, setState] = useState<State>({ status: 'loading' });

  useEffect(() => {
    let canceled = false;
    setState({ status: 'loading' });
    api.audit(model, precision).then(
      ({ audit }) => !canceled && setState({ status: 'ready', audit }),
      (error: unknown) =>
        !canceled && setState({ status: 'error', error: error instanceof ApiError ? error.body : { code: 'client', message: String(error) } }),
    );
    return () => {
      canceled = true;
    };
  }, [model, precision]);

  return (
    <details className="group rounded-md border border-zinc-800 bg-zinc-950/60 text-xs [&_summary::-webkit-details-marker]:hidden" data-testid="audit-panel">
      <summary className="flex cursor-pointer select-none items-center justify-between gap-2 px-2.5 py-2 text-zinc-300 hover:text-zinc-100">
        <span>
          Load-time audit · <span className="font-mono">{PRECISION_LABELS[precision]}</span>
        </span>
        <span className="flex items-center gap-2">
          {state.status === 'ready' && (
            <span className={state.audit.ok ? 'text-emerald-400' : 'text-rose-300'} data-testid="audit-status">
              {state.audit.ok ? 'matches its label' : 'does not match its label'}
            </span>
          )}
          <span aria-hidden="true" className="text-zinc-400 transition group-open:rotate-90">
            ›
          </span>
        </span>
      </summary>
      <div className="space-y-3 border-t border-zinc-800 px-2.5 py-2.5">
        {state.status === 'loading' && <p className="text-zinc-400">Reading the ONNX files…</p>}
        {state.status === 'error' && (
          <p className="text-rose-300">
            {state.error.message}
            {state.error.hint && <span className="block text-zinc-400">{state.error.hint}</span>}
          </p>
        )}
        {state.status === 'ready' && (
          <>
            <p className="leading-relaxed text-zinc-400">
              Read from the graphs, as the pipeline checks them before loading: a file whose heavy weights are not what
              its label says is refused, never run under that label.
            </p>
            <ul className="space-y-3">
              {state.audit.components.map((component) => (
                <li key={component.component} className="space-y-1" data-testid={`audit-${component.component}`}>
                  <p className="flex flex-wrap items-baseline justify-between gap-x-2">
                    <span className="font-medium text-zinc-100">{COMPONENT_LABELS[component.component]}</span>
                    <span className="font-mono text-zinc-300">computes in {dtypeLabel(component.computeDtype)}</span>
                  </p>
                  <p className="text-zinc-400">
                    <span className="text-zinc-400">weights by bytes: </span>
                    <span className="font-mono">
                      {component.weights.map((entry) => `${dtypeLabel(entry.dtype)} ${formatShare(entry.share)} (${formatBytes(entry.bytes)})`).join(', ')}
                    </span>
                  </p>
                  <p className="text-zinc-400">
                    <span className="text-zinc-400">heavy ops (MatMul, Conv): </span>
                    <span className="font-mono">{formatShares(component.heavyWeights)}</span>
                  </p>
                  {component.source && (
                    <p className={component.source.quantised ? 'text-amber-200' : 'text-zinc-400'} data-testid={`audit-source-${component.component}`}>
                      <span className="text-zinc-400">source file: </span>
                      <span className="font-mono">{component.source.label}</span>
                      {component.source.note && <span className="block">{component.source.note}</span>}
                    </p>
                  )}
                  <Fp32Parts islands={component.islands} names={component.fp32Initializers} precision={component.claimed} />
                  {component.problems.map((problem) => (
                    <p key={problem} className="text-rose-300">
                      {problem}
                    </p>
                  ))}
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    </details>
  );
}

function Fp32Parts({ islands, names, precision }: { islands: string[]; names: string[]; precision: Precision }) {
  if (precision === 'fp32') return <p className="text-zinc-400">All fp32: no half-precision parts to keep apart.</p>;
  if (islands.length === 0 && names.length === 0) return <p className="text-zinc-400">No fp32 parts.</p>;
  return (
    <div className="text-zinc-400">
      {islands.length > 0 && (
        <p>
          <span className="text-zinc-400">fp32 on purpose: </span>
          {islands.join(', ')}
        </p>
      )}
      {names.length > 0 && (
        <details className="mt-0.5">
          <summary className="cursor-pointer text-zinc-400 hover:text-zinc-300">
            {names.length} fp32 initializer{names.length > 1 ? 's' : ''} by name
          </summary>
          <p className="mt-1 break-all font-mono text-[11px] leading-relaxed text-zinc-400">{names.join(', ')}</p>
        </details>
      )}
    </div>
  );
}
