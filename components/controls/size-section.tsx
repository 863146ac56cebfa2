'use client';
// Resolution: aspect-ratio chips (1:1, 4:5, 2:3, 3:4, 9:16 and their landscape turns) and size classes in megapixels,
// each one radio group with arrow keys (lib/aspect.ts maps them to multiples of 16), a custom width × height (multiples of 16, 256–2048, checked inline), and the VRAM
// estimate for the chosen model, precision and size. Deliberately labelled an estimate: the measured peak appears
// on the result card when the engine reports it.
import { useMemo } from 'react';
import { PRECISION_LABELS } from '@/lib/precision.ts';
import { ASPECTS, matchSize, nearestAspect, nearestSize, SIZE_CLASSES, sizeFor, type Aspect, type SizeClass } from '@/lib/aspect.ts';
import { steppedValue } from '@/lib/keys.ts';
import { SIZE_LIMITS, type ParamField } from '@/lib/params.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import { modelById } from '@/lib/state/studio-store.ts';
import { estimateVram, formatGiB } from '@/lib/vram.ts';
import { SwapIcon } from '@/components/ui/icons.tsx';
import { FieldError, Hint, Section, buttonClass, inputClass } from '@/components/ui/primitives.tsx';
import { RadioChips } from '@/components/ui/radio-chips.tsx';

export function SizeSection({ errors }: { errors: Partial<Record<ParamField, string>> }) {
  const width = useStudio((state) => state.form.width);
  const height = useStudio((state) => state.form.height);
  const setField = useStudio((state) => state.setField);
  const setSize = useStudio((state) => state.setSize);
  const w = Number(width);
  const h = Number(height);
  const valid = Number.isFinite(w) && Number.isFinite(h) && w > 0 && h > 0;
  // A custom size checks no chip; picking a ratio keeps the nearest size class, and the reverse.
  const match = valid ? matchSize(w, h) : null;
  const aspect = match?.aspect ?? (valid ? nearestAspect(w, h) : ASPECTS[0]);
  const size = match?.size ?? (valid ? nearestSize(w, h) : SIZE_CLASSES[1]);
  const pick = (nextAspect: Aspect, nextSize: SizeClass) => {
    const fit = sizeFor(nextAspect, nextSize.pixels);
    setSize(fit.width, fit.height);
  };

  return (
    <Section title="Size">
      <RadioChips
        label="Aspect ratio"
        className="grid grid-cols-9 gap-1"
        chipClassName="px-0"
        value={match ? match.aspect.id : null}
        onChange={(id) => pick(ASPECTS.find((entry) => entry.id === id)!, size)}
        chips={ASPECTS.map((entry) => {
          const fit = sizeFor(entry, size.pixels);
          return { id: entry.id, text: entry.id, spoken: `${entry.spoken}, ${fit.width} by ${fit.height}`, title: `${fit.width} × ${fit.height}` };
        })}
      />
      <RadioChips
        label="Image size"
        className="grid grid-cols-4 gap-1"
        value={match ? match.size.id : null}
        onChange={(id) => pick(aspect, SIZE_CLASSES.find((entry) => entry.id === id)!)}
        chips={SIZE_CLASSES.map((entry) => {
          const fit = sizeFor(aspect, entry.pixels);
          return { id: entry.id, text: entry.label, spoken: `${entry.spoken}, ${fit.width} by ${fit.height}`, title: `${fit.width} × ${fit.height}` };
        })}
      />
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
  // On the CPU the figures are the machine's RAM (the weights and activations live there), on a GPU its VRAM.
  const gpuTotal = onCpu ? (system.host ? system.host.memoryTotalMiB * 1024 ** 2 : null) : system.system.gpu ? system.system.gpu.memoryTotalMiB * 1024 ** 2 : null;
  const tooBig = gpuTotal !== null && estimate.totalBytes > gpuTotal;
  return (
    <div className="rounded-md border border-zinc-800 bg-zinc-900/60 px-3 py-2" data-testid="vram-estimate">
      <p className="flex items-baseline justify-between text-xs">
        <span className="text-zinc-300">{onCpu ? `RAM (runs on the CPU${gpuTotal ? `, ${formatGiB(gpuTotal)} here` : ''})` : 'VRAM'} · estimate</span>
        <span className={`font-mono text-sm ${tooBig ? 'text-amber-300' : 'text-zinc-100'}`}>≈ {formatGiB(estimate.totalBytes)}</span>
      </p>
      <p className="mt-0.5 text-[11px] leading-relaxed text-zinc-400">
        weights {formatGiB(estimate.weightsBytes)} at {PRECISION_LABELS[precision]} (VAE fp32) + activations{' '}
        {formatGiB(estimate.activationBytes)}
        {estimate.overheadBytes > 0 && ` + CUDA runtime ${formatGiB(estimate.overheadBytes)}`}. An estimate from the
        parameter counts, not a measurement.
        {tooBig && (onCpu ? ` More than this machine's ${formatGiB(gpuTotal)} of RAM: pick a smaller size.` : ` More than this GPU's ${formatGiB(gpuTotal)}: pick a smaller size or precision.`)}
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
        onKeyDown={(event) => {
          const next = steppedValue(value, event.key, event.shiftKey, { step: SIZE_LIMITS.multiple, min: SIZE_LIMITS.min, max: SIZE_LIMITS.max });
          if (next === null) return;
          event.preventDefault();
          onChange(next);
        }}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${field}-error` : 'size-hint'}
      />
    </div>
  );
}
