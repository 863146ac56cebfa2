'use client';
// The top bar: product name, where jobs run (GPU or CPU, onnxruntime version) and the queue at a glance.
import { Brand } from '@/components/ui/primitives.tsx';
import { epLabel } from '@/lib/precision.ts';
import { useStudio } from '@/lib/state/provider.tsx';

export function HeaderBar() {
  const system = useStudio((state) => state.system);
  const running = useStudio((state) => state.jobs.some((job) => job.status === 'running'));
  const waiting = useStudio((state) => state.jobs.filter((job) => job.status === 'queued').length);
  const gpu = system?.system.gpu;
  const device = system
    ? gpu && system.ep === 'cuda'
      ? `${gpu.name} · ${(gpu.memoryTotalMiB / 1024).toFixed(0)} GiB · CUDA ${gpu.cuda}`
      : `${epLabel(system.ep)} · onnxruntime ${system.system.onnxruntime}`
    : 'engine unavailable';
  return (
    <header className="flex h-12 shrink-0 items-center justify-between gap-3 border-b border-zinc-800 bg-zinc-950 px-4">
      <div className="flex min-w-0 items-center gap-2.5">
        <Brand as="h1" className="text-sm font-semibold text-zinc-100" />
      </div>
      <div className="flex min-w-0 items-center gap-2 text-[11px]">
        <span className="hidden truncate rounded border border-zinc-800 px-2 py-0.5 font-mono text-zinc-400 sm:inline" title="Where jobs run">
          {device}
        </span>
        <span
          className={`rounded px-2 py-0.5 font-mono ${running ? 'bg-indigo-500/15 text-indigo-200' : 'border border-zinc-800 text-zinc-400'}`}
          aria-live="polite"
        >
          {running ? `running${waiting ? ` · ${waiting} waiting` : ''}` : 'idle'}
        </span>
      </div>
    </header>
  );
}
