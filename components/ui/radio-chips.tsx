'use client';
// One radio group of chips with the keyboard of a native radio group: Tab enters at the checked chip (or the first),
// the arrow keys move and choose, Home/End jump. Each chip has a spoken name (aria-label) besides its short visible
// text, so "4:5" is read as "portrait 4 to 5". Deliberately controlled: the caller holds the value.
import { useRef, type ReactNode } from 'react';

export interface Chip {
  id: string;
  text: ReactNode;
  spoken: string;
  title?: string;
}

export function RadioChips(props: { label: string; chips: readonly Chip[]; value: string | null; onChange: (id: string) => void; className?: string; chipClassName?: string }) {
  const { label, chips, value, onChange, className = '', chipClassName = '' } = props;
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const checkedIndex = chips.findIndex((chip) => chip.id === value);
  const focusable = checkedIndex >= 0 ? checkedIndex : 0;
  const move = (from: number, key: string) => {
    const last = chips.length - 1;
    const to = key === 'Home' ? 0 : key === 'End' ? last : key === 'ArrowRight' || key === 'ArrowDown' ? (from === last ? 0 : from + 1) : from === 0 ? last : from - 1;
    onChange(chips[to].id);
    refs.current[to]?.focus();
  };
  return (
    <div role="radiogroup" aria-label={label} className={className}>
      {chips.map((chip, index) => {
        const checked = chip.id === value;
        return (
          <button
            key={chip.id}
            ref={(element) => {
              refs.current[index] = element;
            }}
            type="button"
            role="radio"
            aria-checked={checked}
            aria-label={chip.spoken}
            title={chip.title}
            tabIndex={index === focusable ? 0 : -1}
            onClick={() => onChange(chip.id)}
            onKeyDown={(event) => {
              if (!['ArrowRight', 'ArrowLeft', 'ArrowUp', 'ArrowDown', 'Home', 'End'].includes(event.key)) return;
              event.preventDefault();
              move(index, event.key);
            }}
            className={`rounded-md border px-1 py-1.5 font-mono text-[11px] transition ${
              checked ? 'border-indigo-400/70 bg-indigo-500/10 text-white' : 'border-zinc-800 bg-zinc-900 text-zinc-300 hover:border-zinc-600'
            } ${chipClassName}`}
          >
            {chip.text}
          </button>
        );
      })}
    </div>
  );
}
