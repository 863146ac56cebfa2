// Small presentational building blocks shared by the studio and the share page: section, field label with hint and
// inline error, badge, callout, the product's mark, and the button class names. Deliberately stateless and hook-free so server pages
// can render them too.
import type { ReactNode } from 'react';
import type { HintTone } from '@/lib/hints.ts';

export const buttonClass = {
  primary:
    'inline-flex items-center justify-center gap-2 rounded-md bg-indigo-500 px-4 py-2 text-sm font-medium text-white shadow-sm transition hover:bg-indigo-400 disabled:cursor-not-allowed disabled:bg-zinc-700 disabled:text-zinc-400',
  secondary:
    'inline-flex items-center justify-center gap-1.5 rounded-md border border-zinc-700 bg-zinc-800/60 px-2.5 py-1.5 text-xs font-medium text-zinc-200 transition hover:border-zinc-600 hover:bg-zinc-700/70 disabled:cursor-not-allowed disabled:opacity-50',
  ghost:
    'inline-flex items-center justify-center gap-1.5 rounded-md px-2 py-1 text-xs font-medium text-zinc-400 transition hover:bg-zinc-800 hover:text-zinc-100',
};

export const inputClass =
  'w-full rounded-md border border-zinc-700 bg-zinc-950 px-2.5 py-1.5 text-sm text-zinc-100 placeholder:text-zinc-500 focus:border-indigo-400 aria-[invalid=true]:border-rose-500';

export function Section({ title, children, aside }: { title: string; children: ReactNode; aside?: ReactNode }) {
  return (
    <section className="space-y-3 border-b border-zinc-800/80 pb-5 last:border-b-0" aria-label={title}>
      <div className="flex items-center justify-between gap-2">
        <h2 className="text-[11px] font-semibold uppercase tracking-[0.08em] text-zinc-400">{title}</h2>
        {aside}
      </div>
      {children}
    </section>
  );
}

const toneClass: Record<HintTone, string> = {
  ok: 'text-emerald-400/90',
  info: 'text-zinc-400',
  warn: 'text-amber-400/90',
};

export function Hint({ id, tone = 'info', children }: { id?: string; tone?: HintTone; children: ReactNode }) {
  return (
    <p id={id} className={`text-xs leading-relaxed ${toneClass[tone]}`}>
      {children}
    </p>
  );
}

export function FieldError({ id, children }: { id: string; children: ReactNode }) {
  return (
    <p id={id} role="alert" className="text-xs leading-relaxed text-rose-400">
      {children}
    </p>
  );
}

export function Label({ htmlFor, children, aside }: { htmlFor: string; children: ReactNode; aside?: ReactNode }) {
  return (
    <div className="flex items-baseline justify-between gap-2">
      <label htmlFor={htmlFor} className="text-sm font-medium text-zinc-200">
        {children}
      </label>
      {aside && <span className="text-xs text-zinc-400">{aside}</span>}
    </div>
  );
}

export type BadgeTone = 'neutral' | 'accent' | 'success' | 'warn' | 'danger';

const badgeTone: Record<BadgeTone, string> = {
  neutral: 'border-zinc-700 bg-zinc-800/70 text-zinc-300',
  accent: 'border-indigo-500/40 bg-indigo-500/10 text-indigo-200',
  success: 'border-emerald-500/30 bg-emerald-500/10 text-emerald-300',
  warn: 'border-amber-500/40 bg-amber-500/10 text-amber-200',
  danger: 'border-rose-500/50 bg-rose-500/15 text-rose-200',
};

export function Badge({ tone = 'neutral', title, children, testId }: { tone?: BadgeTone; title?: string; children: ReactNode; testId?: string }) {
  return (
    <span
      title={title}
      data-testid={testId}
      className={`inline-flex items-center gap-1 whitespace-nowrap rounded border px-1.5 py-0.5 font-mono text-[11px] font-medium ${badgeTone[tone]}`}
    >
      {children}
    </span>
  );
}

export function Callout({ tone = 'warn', title, children, testId }: { tone?: 'warn' | 'error' | 'info'; title: string; children: ReactNode; testId?: string }) {
  const tones = {
    warn: 'border-amber-500/30 bg-amber-500/[0.07] text-amber-100',
    error: 'border-rose-500/40 bg-rose-500/[0.08] text-rose-100',
    info: 'border-zinc-700 bg-zinc-900 text-zinc-200',
  };
  return (
    <div role={tone === 'error' ? 'alert' : 'note'} data-testid={testId} className={`rounded-md border px-3 py-2.5 text-xs leading-relaxed ${tones[tone]}`}>
      <p className="font-semibold">{title}</p>
      <div className="mt-1 text-zinc-300">{children}</div>
    </div>
  );
}

/** The product's mark and name, as the studio's heading (`as="h1"`) or inside a link home. */
export function Brand({ as: Name = 'span', className = '' }: { as?: 'h1' | 'span'; className?: string }) {
  return (
    <>
      <span aria-hidden="true" className="grid h-6 w-6 shrink-0 place-items-center rounded bg-indigo-500 font-mono text-[11px] font-bold text-white">
        Z
      </span>
      <Name className={`truncate ${className}`}>
        Z-Image <span className="text-zinc-400">BF16 Studio</span>
      </Name>
    </>
  );
}
