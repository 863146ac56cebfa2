'use client';
// The LoRA picker: the files under WEIGHTS_DIR/loras (GET /api/loras), searchable by name, alias, trigger words and
// base model, each with what the file says about itself; the stack being built, in order, with a weight slider per
// entry, the entry's trigger words one click away from the prompt, and a remove button. Files that cannot be applied
// stay listed with the reason, not addable. Tags typed as <lora:NAME:WEIGHT> in the prompt work too (the server
// moves them into the stack). Deliberately fetches the list itself: it is file metadata, not studio state.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, ApiError } from '@/lib/client/api.ts';
import { LORA_WEIGHT_LIMIT, MAX_LORAS, type LoraView } from '@/lib/loras.ts';
import { useStudio } from '@/lib/state/provider.tsx';
import { Hint, Label, Section, buttonClass, inputClass } from '@/components/ui/primitives.tsx';

const SHOWN = 12;

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MiB`;
}

export function LoraSection() {
  const loras = useStudio((state) => state.form.loras);
  const prompt = useStudio((state) => state.form.prompt);
  const setField = useStudio((state) => state.setField);
  const [files, setFiles] = useState<LoraView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState('');

  const load = useCallback(() => {
    setError(null);
    api.loras().then(
      (answer) => setFiles(answer.loras),
      (failure: unknown) => setError(failure instanceof ApiError ? failure.body.message : String(failure)),
    );
  }, []);
  useEffect(load, [load]);

  const byName = useMemo(() => new Map((files ?? []).map((file) => [file.name, file])), [files]);
  const matches = useMemo(() => {
    const q = query.trim().toLowerCase();
    const all = files ?? [];
    if (!q) return all;
    return all.filter((file) =>
      [file.name, file.alias, file.info.baseModel ?? '', ...file.info.triggerWords].some((text) => text.toLowerCase().includes(q)),
    );
  }, [files, query]);

  const add = (name: string) => setField('loras', [...loras, { name, weight: 1 }]);
  const setWeight = (name: string, weight: number) =>
    setField('loras', loras.map((entry) => (entry.name === name ? { ...entry, weight } : entry)));
  const remove = (name: string) => setField('loras', loras.filter((entry) => entry.name !== name));
  const insertTriggers = (words: string[]) => {
    const missing = words.filter((word) => !prompt.toLowerCase().includes(word.toLowerCase()));
    if (missing.length) setField('prompt', [prompt.trim(), missing.join(', ')].filter(Boolean).join(', '));
  };

  const full = loras.length >= MAX_LORAS;

  return (
    <Section title="LoRAs" aside={<span className="font-mono text-[11px] text-zinc-400">{loras.length}/{MAX_LORAS}</span>}>
      <div className="space-y-2" data-testid="lora-picker">
        {loras.length > 0 && (
          <ol className="space-y-2" aria-label="LoRA stack">
            {loras.map((entry) => {
              const file = byName.get(entry.name);
              const id = `lora-weight-${entry.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
              return (
                <li key={entry.name} className="space-y-1 rounded-md border border-zinc-800 bg-zinc-900 px-2.5 py-2" data-testid="lora-entry" data-name={entry.name}>
                  <div className="flex items-center justify-between gap-2">
                    <span className="truncate font-mono text-xs text-zinc-100" title={entry.name}>{entry.name}</span>
                    <button type="button" className="text-[11px] text-zinc-400 hover:text-rose-300" onClick={() => remove(entry.name)} aria-label={`Remove ${entry.name}`}>
                      remove
                    </button>
                  </div>
                  <div className="flex items-center gap-2">
                    <input
                      type="range"
                      aria-label={`Weight of ${entry.name}`}
                      className="h-1.5 flex-1 cursor-pointer accent-indigo-500"
                      min={-2}
                      max={2}
                      step={0.05}
                      value={Math.min(2, Math.max(-2, entry.weight))}
                      onChange={(event) => setWeight(entry.name, Number(event.target.value))}
                    />
                    <input
                      id={id}
                      type="number"
                      aria-label={`Weight of ${entry.name}, exact`}
                      className={`${inputClass} w-20 text-right font-mono tabular-nums`}
                      min={-LORA_WEIGHT_LIMIT}
                      max={LORA_WEIGHT_LIMIT}
                      step={0.05}
                      value={entry.weight}
                      onChange={(event) => {
                        const weight = Number(event.target.value);
                        if (event.target.value.trim() !== '' && Number.isFinite(weight)) setWeight(entry.name, weight);
                      }}
                    />
                  </div>
                  {file && file.info.triggerWords.length > 0 && (
                    <p className="flex flex-wrap items-center gap-1 text-[11px] text-zinc-400">
                      <span className="text-zinc-400">trigger:</span> {file.info.triggerWords.join(', ')}
                      <button type="button" className="ml-1 text-indigo-300 hover:text-indigo-200" onClick={() => insertTriggers(file.info.triggerWords)}>
                        add to prompt
                      </button>
                    </p>
                  )}
                  {entry.weight === 0 && <p className="text-[11px] text-zinc-400">Weight 0: the base model runs, exactly.</p>}
                  {files && !file && <p className="text-[11px] text-rose-300">Not in the LoRA folder any more: remove it or put the file back.</p>}
                </li>
              );
            })}
          </ol>
        )}

        <Label htmlFor="lora-search" aside={files ? `${files.length} in WEIGHTS_DIR/loras` : undefined}>
          Add a LoRA
        </Label>
        <input
          id="lora-search"
          type="search"
          className={inputClass}
          placeholder="Search name, trigger word, base model…"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          aria-describedby="lora-hint"
        />
        {error && (
          <p className="text-xs text-rose-300">
            Could not list the LoRAs: {error}{' '}
            <button type="button" className="underline" onClick={load}>retry</button>
          </p>
        )}
        {files && files.length === 0 && (
          <Hint id="lora-hint">No LoRAs yet: put .safetensors files from ai-toolkit, musubi-tuner, DiffSynth or kohya in WEIGHTS_DIR/loras/ (subfolders allowed), then <button type="button" className="underline" onClick={load}>refresh</button>.</Hint>
        )}
        {files && files.length > 0 && (
          <ul className="max-h-64 space-y-1 overflow-y-auto" aria-label="Available LoRAs">
            {matches.slice(0, SHOWN).map((file) => {
              const inStack = loras.some((entry) => entry.name === file.name);
              return (
                <li key={file.name} className="flex items-start justify-between gap-2 rounded-md px-1.5 py-1 hover:bg-zinc-900" data-testid="lora-option" data-name={file.name}>
                  <div className="min-w-0 text-[11px] leading-snug">
                    <p className="truncate font-mono text-xs text-zinc-200" title={file.name}>{file.name}</p>
                    <p className="text-zinc-400">
                      {[file.alias !== file.name && file.alias, file.info.baseModel && `base: ${file.info.baseModel}`, file.formats.join(', '),
                        file.info.rank && `rank ${file.info.rank}`, mib(file.bytes)].filter(Boolean).join(' · ')}
                    </p>
                    {file.info.triggerWords.length > 0 && <p className="text-zinc-400">trigger: {file.info.triggerWords.join(', ')}</p>}
                    {file.problem && <p className="text-rose-300">Cannot be applied: {file.problem}</p>}
                  </div>
                  <button
                    type="button"
                    className={`${buttonClass.secondary} shrink-0 px-2 py-1 text-[11px]`}
                    disabled={inStack || full || Boolean(file.problem)}
                    onClick={() => add(file.name)}
                    aria-label={`Add ${file.name}`}
                  >
                    {inStack ? 'added' : 'add'}
                  </button>
                </li>
              );
            })}
            {matches.length === 0 && <li className="px-1.5 text-xs text-zinc-400">No LoRA matches “{query}”.</li>}
            {matches.length > SHOWN && <li className="px-1.5 text-[11px] text-zinc-400">{matches.length - SHOWN} more: refine the search.</li>}
          </ul>
        )}
        {files && files.length > 0 && (
          <Hint id="lora-hint">Or type &lt;lora:NAME:WEIGHT&gt; in the prompt, as in A1111. Merged into the DiT in memory; the model on disk is never rewritten.</Hint>
        )}
      </div>
    </Section>
  );
}
