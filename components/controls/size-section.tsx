'use client';
// Resolution: the five presets, a custom width × height (multiples of 16, 256–2048, checked inline), and the VRAM
// estimate for the chosen model, precision and size. Deliberately labelled an estimate: the measured peak appears
// on the result card when the engine reports it.
import { useMemo } from 'react';
import { PRECISION_LABELS } from '@/lib/precision.ts';
import { RESOLUTION_PRESETS, SIZE_LIMITS, type ParamField } from '@/lib/params.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import { modelById } from '@/lib/state/studio-store.ts';
import { estimateVram, formatGiB } from '@/lib/vram.ts';
import { SwapIcon } from '@/components/ui/icons.tsx';
import { FieldError, Hint, Section, buttonClass, inputClass } from '@/components/ui/primitives.tsx';

export function SizeSection({ errors }: { errors: Partial<Record<ParamField, string>> }) {
  const width = useStudio((state) => state.form.width);
  const height = useStudio((state) => state.form.height);
  const setField = useStudio((state) => state.setField);
  const setSize = useStudio((state) => state.setSize);

  return (
    <Section title="Size">
      {/* Six columns: the three squares take two each, the two portraits three each. */}
      <div className="grid grid-cols-6 gap-1" role="radiogroup" aria-label="Resolution presets">
        {RESOLUTION_PRESETS.map((preset) => {
          const active = Number(width) === preset.width && Number(height) === preset.height;
          const square = preset.width === preset.height;
          return (
            <button
              key={preset.id}
              type="button"
              role="radio"
              aria-checked={active}
              title={preset.note}
              onClick={() => setSize(preset.width, preset.height)}
              className={`${square ? 'col-span-2' : 'col-span-3'} rounded-md border px-1 py-1.5 font-mono text-[11px] transition ${
                active ? 'border-indigo-400/70 bg-indigo-500/10 text-white' : 'border-zinc-800 bg-zinc-900 text-zinc-300 hover:border-zinc-600'
              }`}
            >
              {preset.label}
              {!square && <span className="ml-1.5 text-zinc-500">{preset.aspect}</span>}
            </button>
          );
        })}
      </div>
      <div className="flex items-end gap-2">
        <DimensionInput field="width" label="Width" value={width} error={errors.width} onChange={(value) => setField('width', value)} />
        <button
          type="button"
          className={`${buttonClass.ghost} mb-0.5 h-8`}
          onClick={() => setSize(Number(height), Number(width))}
          aria-label="Swap width and height"
          title="Swap width and height"
        >
          <SwapIcon />
        </button>
        <DimensionInput field="height" label="Height" value={height} error={errors.height} onChange={(value) => setField('height', value)} />
      </div>
      {errors.width && <FieldError id="width-error">{errors.width}</FieldError>}
      {errors.height && <FieldError id="height-error">{errors.height}</FieldError>}
      {!errors.width && !errors.height && (
        <Hint id="size-hint">
          Multiples of {SIZE_LIMITS.multiple} from {SIZE_LIMITS.min} to {SIZE_LIMITS.max}.
        </Hint>
      )}
      {!errors.width && !errors.height && <VramEstimate width={Number(width)} height={Number(height)} />}
    </Section>
  );
}

function VramEstimate({ width, height }: { width: number; height: number }) {
  const system = useStudio((state) => state.system);
  const modelId = useStudio((state) => state.form.model);
  const precision = useStudio((state) => state.form.precision);
  const model = modelById(system, modelId);
  const ep = system?.ep ?? 'cuda';
  const estimate = useMemo(
    () => (model && precision ? estimateVram(model.parameters, precision, width, height, ep) : null),
    [model, precision, width, height, ep],
  );
  if (!estimate || !precision || !system) return null;
  const onCpu = ep === 'cpu';
  const gpuTotal = system.system.gpu ? system.system.gpu.memoryTotalMiB * 1024 ** 2 : null;
  const tooBig = !onCpu && gpuTotal !== null && estimate.totalBytes > gpuTotal;
  return (
    <div className="rounded-md border border-zinc-800 bg-zinc-900/60 px-3 py-2" data-testid="vram-estimate">
      <p className="flex items-baseline justify-between text-xs">
        <span className="text-zinc-400">{onCpu ? 'Memory (runs on the CPU)' : 'VRAM'} · estimate</span>
        <span className={`font-mono text-sm ${tooBig ? 'text-amber-300' : 'text-zinc-100'}`}>≈ {formatGiB(estimate.totalBytes)}</span>
      </p>
      <p className="mt-0.5 text-[11px] leading-relaxed text-zinc-500">
        weights {formatGiB(estimate.weightsBytes)} at {PRECISION_LABELS[precision]} (VAE fp32) + activations{' '}
        {formatGiB(estimate.activationBytes)}
        {estimate.overheadBytes > 0 && ` + CUDA runtime ${formatGiB(estimate.overheadBytes)}`}. An estimate from the
        parameter counts, not a measurement.
        {tooBig && ` More than this GPU's ${formatGiB(gpuTotal)}: pick a smaller size or precision.`}
      </p>
    </div>
  );
}

/** One numeric size field (width or height); its error text is rendered below the pair by the caller. */
function DimensionInput(props: { field: 'width' | 'height'; label: string; value: string; error?: string; onChange: (value: string) => void }) {
  const { field, label, value, error, onChange } = props;
  return (
    <div className="flex-1 space-y-1">
      <label htmlFor={field} className="text-xs text-zinc-400">
        {label}
      </label>
      <input
        id={field}
        type="text"
        inputMode="numeric"
        autoComplete="off"
        className={`${inputClass} font-mono tabular-nums`}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${field}-error` : 'size-hint'}
      />
    </div>
  );
}
