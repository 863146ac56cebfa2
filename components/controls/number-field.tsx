'use client';
// A labelled numeric field: a slider for the common range (in the tab order) and a text box for exact values
// (ArrowUp/ArrowDown step it, Shift by ten), with its hint or its
// inline error wired through aria-describedby. Deliberately keeps the typed text as is (the store parses it), so
// "1." or an emptied box are not rewritten under the user's cursor.
import type { Hint as HintData } from '@/lib/hints.ts';
import { steppedValue, type StepRule } from '@/lib/keys.ts';
import { FieldError, Hint, Label, inputClass } from '@/components/ui/primitives.tsx';

export interface NumberFieldProps {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  slider?: { min: number; max: number; step: number };
  inputMode?: 'numeric' | 'decimal';
  hint?: HintData;
  error?: string;
  aside?: string;
  /** What ArrowUp/ArrowDown do in the text box; the slider's range and step when absent. */
  keys?: StepRule;
}

export function NumberField({ id, label, value, onChange, slider, inputMode = 'numeric', hint, error, aside, keys }: NumberFieldProps) {
  const rule = keys ?? slider;
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  const numeric = Number(value);
  return (
    <div className="space-y-1.5">
      <Label htmlFor={id} aside={aside}>
        {label}
      </Label>
      <div className="flex items-center gap-3">
        {slider && (
          <input
            type="range"
            aria-label={`${label} slider`}
            className="h-1.5 flex-1 cursor-pointer accent-indigo-500"
            min={slider.min}
            max={slider.max}
            step={slider.step}
            value={Number.isFinite(numeric) ? Math.min(slider.max, Math.max(slider.min, numeric)) : slider.min}
            onChange={(event) => onChange(event.target.value)}
          />
        )}
        <input
          id={id}
          type="text"
          inputMode={inputMode}
          autoComplete="off"
          className={`${inputClass} ${slider ? 'w-20 text-right' : ''} font-mono tabular-nums`}
          value={value}
          onChange={(event) => onChange(event.target.value)}
          onKeyDown={(event) => {
            const next = rule && steppedValue(value, event.key, event.shiftKey, rule);
            if (next === null || next === undefined) return;
            event.preventDefault();
            onChange(next);
          }}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
        />
      </div>
      {error ? <FieldError id={`${id}-error`}>{error}</FieldError> : hint && <Hint id={`${id}-hint`} tone={hint.tone}>{hint.text}</Hint>}
    </div>
  );
}
