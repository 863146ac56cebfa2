// The evidence behind a result's badges, unfolded: the dtype census (FLOPs per dtype, nodes per execution provider,
// which generation it was measured on, why it is amber or red), each component's load-time audit (compute dtype,
// heavy weights by dtype, the parts kept in fp32 on purpose), NaN/Inf per denoising step with the image check, and
// the GPU memory. Hook-free: the studio card, the share page and the comparison render it. Deliberately says
// "not recorded" where a record predates the evidence instead of inventing it.
import type { ReactNode } from 'react';
import { dtypeLabel, formatShare, formatShares, healthLine, nonFiniteAtEnd } from '@/lib/evidence.ts';
import { PRECISION_LABELS } from '@/lib/precision.ts';
import type { ResultRecord } from '@/lib/results.ts';
import { Styled } from '@/components/ui/styled.tsx';

const COMPONENT_LABELS = { te: 'Text encoder', dit: 'DiT', vae: 'VAE' } as const;

const LEVEL_TEXT = {
  green: 'text-emerald-300',
  amber: 'text-amber-200',
  red: 'text-rose-300',
} as const;

const LEVEL_MEANING = {
  green: 'Green: the requested precision did the work (≥ 95 % of the FLOPs), every node on the requested execution provider.',
  amber: 'Amber: the requested precision ran, but under 95 % of the FLOPs or with nodes on another execution provider:',
  red: 'Red: the requested precision did not carry the work:',
} as const;

/** Stable colours per dtype, so bars read the same on every card. */
const DTYPE_COLOUR: Record<string, string> = {
  bfloat16: 'bg-indigo-400',
  bf16: 'bg-indigo-400',
  float16: 'bg-amber-400',
  fp16: 'bg-amber-400',
  float: 'bg-sky-400',
  fp32: 'bg-sky-400',
};

function Part({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="space-y-1.5" aria-label={title}>
      <h4 className="text-[10px] font-semibold uppercase tracking-[0.08em] text-zinc-400">{title}</h4>
      <div className="space-y-1.5 text-xs leading-relaxed text-zinc-300">{children}</div>
    </section>
  );
}

/** Decorative: the line beside it says the same in words. */
function ShareBar({ shares }: { shares: Record<string, number> }) {
  const entries = Object.entries(shares).sort((a, b) => b[1] - a[1]);
  return (
    <div aria-hidden="true" className="flex h-1.5 overflow-hidden rounded-full bg-zinc-800">
      {entries.map(([dtype, share]) => (
        <Styled as="span" key={dtype} className={DTYPE_COLOUR[dtype] ?? 'bg-zinc-500'} css={{ width: `${Math.max(share * 100, share > 0 ? 0.5 : 0)}%` }} />
      ))}
    </div>
  );
}

function CensusPart({ record }: { record: ResultRecord }) {
  const { census } = record;
  if (!census) {
    return (
      <Part title="Precision census">
        <p className="text-zinc-400">
          Not recorded: this result was saved before the studio kept the census, or the engine did not profile the run.
          The badge repeats the precision the engine declared.
        </p>
      </Part>
    );
  }
  const providers = Object.entries(census.byProvider).sort((a, b) => b[1] - a[1]);
  return (
    <Part title="Precision census">
      <p className={`font-mono ${LEVEL_TEXT[census.verdict.level]}`} data-testid="evidence-verdict">
        {census.verdict.text}
      </p>
      <p className="text-zinc-400">{LEVEL_MEANING[census.verdict.level]}</p>
      {census.verdict.reasons.length > 0 && (
        <ul className="list-inside list-disc text-amber-100/90" data-testid="evidence-reasons">
          {census.verdict.reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      )}
      <ShareBar shares={census.flopShare} />
      <p>
        <span className="text-zinc-400">FLOPs by dtype:</span> <span className="font-mono">{formatShares(census.flopShare)}</span>
      </p>
      <p>
        <span className="text-zinc-400">Nodes run per provider:</span>{' '}
        <span className="font-mono">{providers.map(([provider, nodes]) => `${provider.toUpperCase()} ${nodes.toLocaleString('en-US')}`).join(' · ')}</span>
      </p>
      <p className="text-zinc-400" data-testid="evidence-scope">
        {census.scope === 'this generation'
          ? 'Measured on this generation, from onnxruntime’s profile of the sessions that made this image (the DiT’s from its first denoising step, or from all of them in older results: every step runs the same graph on the same shapes).'
          : `Measured on generation ${census.generation} of these sessions: later generations run the same sessions (same graphs, same kernels), so the profile is not taken again.`}
      </p>
    </Part>
  );
}

function ComponentsPart({ record }: { record: ResultRecord }) {
  return (
    <Part title="Components (declared, then audited at load)">
      <ul className="space-y-2">
        {record.components.map((component) => {
          const audit = record.audit?.find((entry) => entry.component === component.component);
          return (
            <li key={component.component} data-testid={`evidence-component-${component.component}`}>
              <p>
                <span className="font-medium text-zinc-100">{COMPONENT_LABELS[component.component]}</span>{' '}
                <span className="font-mono">
                  {PRECISION_LABELS[component.precision]} on {component.ep.toUpperCase()}
                </span>{' '}
                <span className="text-zinc-400">({component.reason})</span>
              </p>
              {component.source && (
                <p data-testid={`evidence-source-${component.component}`} className={component.source.quantised ? 'text-amber-200' : 'text-zinc-400'}>
                  source file: <span className="font-mono">{component.source.label}</span>
                  {component.source.note && <span> — {component.source.note}</span>}
                </p>
              )}
              {audit ? (
                <>
                  <p>
                    <span className="text-zinc-400">computes in</span> <span className="font-mono">{dtypeLabel(audit.computeDtype)}</span>
                    <span className="text-zinc-400"> · heavy weights </span>
                    <span className="font-mono">{formatShares(audit.heavyWeights)}</span>
                  </p>
                  {audit.islands.length > 0 && (
                    <p className="text-zinc-400">fp32 on purpose: {audit.islands.join(', ')}</p>
                  )}
                </>
              ) : (
                <p className="text-zinc-400">Load-time audit not recorded.</p>
              )}
            </li>
          );
        })}
      </ul>
    </Part>
  );
}

function HealthPart({ record }: { record: ResultRecord }) {
  const { health } = record;
  if (!health) {
    return (
      <Part title="Numerical health">
        <p className="text-zinc-400">Not recorded for this result.</p>
      </Part>
    );
  }
  const bad = health.steps.filter((step) => step.nan + step.inf > 0);
  const line = healthLine(record);
  return (
    <Part title="Numerical health">
      {line && <p className="font-medium text-rose-300">{line}</p>}
      {bad.length === 0 ? (
        <p data-testid="evidence-steps">
          No NaN or Inf in the latents after any of the {health.steps.length} step{health.steps.length === 1 ? '' : 's'}.
        </p>
      ) : (
        <table className="w-full font-mono text-[11px]" data-testid="evidence-steps">
          <caption className="sr-only">NaN and Inf values in the latents after each step</caption>
          <thead className="text-left text-zinc-400">
            <tr>
              <th scope="col" className="font-normal">step</th>
              <th scope="col" className="font-normal">NaN</th>
              <th scope="col" className="font-normal">Inf</th>
            </tr>
          </thead>
          <tbody>
            {health.steps.map((step) => (
              <tr key={step.step} className={step.nan + step.inf > 0 ? 'text-rose-300' : 'text-zinc-400'}>
                <td>{step.step}</td>
                <td>{step.nan.toLocaleString('en-US')}</td>
                <td>{step.inf.toLocaleString('en-US')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {bad.length > 0 && <p className="text-zinc-400">{nonFiniteAtEnd(health).toLocaleString('en-US')} non-finite latent values after the last step.</p>}
      <p>
        <span className="text-zinc-400">Image:</span>{' '}
        <span className="font-mono">
          mean {health.image.mean.toFixed(1)} · std {health.image.std.toFixed(1)} · black pixels {formatShare(health.image.blackFraction)}
        </span>
        {health.image.black && <span className="text-rose-300"> · black</span>}
        {!health.image.black && health.image.flat && <span className="text-amber-200"> · flat</span>}
      </p>
    </Part>
  );
}

/** Which LoRAs changed which of the DiT's weights (the converted files stayed as they are). */
function LorasPart({ record }: { record: ResultRecord }) {
  const loras = record.loras ?? [];
  if (!record.request.loras?.length) return null;
  return (
    <Part title="LoRAs (merged into the DiT's weights in memory)">
      {loras.length === 0 ? (
        <p className="text-zinc-400">Not recorded for this result.</p>
      ) : (
        <ul className="space-y-2" data-testid="evidence-loras">
          {loras.map((lora) => {
            const layers = Object.entries(lora.layers).sort((a, b) => a[0].localeCompare(b[0]));
            return (
              <li key={lora.name}>
                <p>
                  <span className="font-medium text-zinc-100">{lora.name}</span> <span className="font-mono">× {lora.weight}</span>{' '}
                  <span className="text-zinc-400">({lora.formats.join(', ') || 'not read'} · sha256 </span>
                  <span className="font-mono text-zinc-400">{lora.sha256.slice(0, 12)}</span>
                  <span className="text-zinc-400">)</span>
                </p>
                {lora.weight === 0 ? (
                  <p className="text-zinc-400">Weight 0: no weight changed; the base model ran from its own files.</p>
                ) : (
                  <p className="font-mono text-[11px] text-zinc-400">
                    {lora.modules} layer{lora.modules === 1 ? '' : 's'}: {layers.map(([layer, n]) => `${layer}${n > 1 ? ` ×${n}` : ''}`).join(', ')}
                  </p>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <p className="text-zinc-400">
        Each changed weight is W + weight·alpha/rank·B·A summed in fp32, then rounded once to the run&apos;s precision, in
        memory: the converted files are not rewritten. The graph, its nodes and every weight&apos;s dtype stay the base
        model&apos;s, so the audit holds; the census may come from the sessions&apos; first generation, before this stack.
      </p>
    </Part>
  );
}

function MemoryPart({ record }: { record: ResultRecord }) {
  const { memory } = record;
  if (memory.kind === 'cpu') {
    return (
      <Part title="Memory">
        <p>Ran on the CPU: no GPU memory was used.</p>
      </Part>
    );
  }
  const mib = (value?: number) => (value === undefined ? '—' : `${value.toLocaleString('en-US')} MiB`);
  return (
    <Part title="GPU memory">
      <p className="font-mono">
        peak {mib(memory.peakMiB)} · after {mib(memory.afterMiB)} · total {mib(memory.totalMiB)}
      </p>
      <p className="text-zinc-400">
        {memory.peakMiB === undefined
          ? 'The peak was not measured for this run.'
          : memory.scope === 'device'
            ? `Whole-device figures (nvidia-smi${memory.samples ? `, ${memory.samples} samples` : ''}): memory other processes hold on this GPU counts too.`
            : `This process only${memory.samples ? ` (${memory.samples} samples)` : ''}.`}
      </p>
    </Part>
  );
}

export function EvidenceDetails({ record, open = false }: { record: ResultRecord; open?: boolean }) {
  return (
    <details
      open={open}
      className="group rounded-md border border-zinc-800 bg-zinc-950/40 text-xs [&_summary::-webkit-details-marker]:hidden"
      data-testid="evidence"
    >
      <summary className="flex cursor-pointer select-none items-center justify-between gap-2 px-3 py-2 text-xs font-medium text-zinc-300 hover:text-zinc-100">
        <span>Evidence: census, audit, health, memory</span>
        <span aria-hidden="true" className="text-zinc-400 transition group-open:rotate-90">
          ›
        </span>
      </summary>
      <div className="space-y-4 border-t border-zinc-800 px-3 py-3">
        <CensusPart record={record} />
        <ComponentsPart record={record} />
        <HealthPart record={record} />
        <LorasPart record={record} />
        <MemoryPart record={record} />
      </div>
    </details>
  );
}
