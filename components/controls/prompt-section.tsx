'use client';
// Prompt and negative prompt. Ctrl/⌘+Enter generates from either box. The negative prompt says when it is ignored
// (CFG 1), because Turbo's default makes it silently useless.
import { useStudio } from '@/lib/state/provider.tsx';
import { FieldError, Hint, Label, Section, inputClass } from '@/components/ui/primitives.tsx';
import { TokenCount } from './token-count.tsx';

export function PromptSection({ promptError }: { promptError?: string }) {
  const prompt = useStudio((state) => state.form.prompt);
  const negativePrompt = useStudio((state) => state.form.negativePrompt);
  const cfgOff = useStudio((state) => Number(state.form.cfg) === 1);
  const setField = useStudio((state) => state.setField);
  const submit = useStudio((state) => state.submit);

  const onKeyDown = (event: React.KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void submit();
    }
  };

  return (
    <Section title="Prompt">
      <div className="space-y-1.5">
        <Label htmlFor="prompt" aside="Ctrl/⌘ + Enter to generate">
          Prompt
        </Label>
        <textarea
          id="prompt"
          rows={4}
          className={`${inputClass} resize-y leading-relaxed`}
          placeholder="Portrait of a woman in soft window light, 85mm, film grain… / 一位女子的肖像，柔和窗光，胶片质感…"
          value={prompt}
          onChange={(event) => setField('prompt', event.target.value)}
          onKeyDown={onKeyDown}
          aria-invalid={promptError ? true : undefined}
          aria-describedby={promptError ? 'prompt-error' : 'prompt-hint'}
        />
        {promptError ? (
          <FieldError id="prompt-error">{promptError}</FieldError>
        ) : (
          <p id="prompt-hint" className="flex justify-between gap-2 text-xs leading-relaxed text-zinc-400">
            <span>English and Chinese both work.</span>
            <TokenCount text={prompt} />
          </p>
        )}
      </div>
      <div className="space-y-1.5">
        <Label htmlFor="negative-prompt" aside={cfgOff ? <span data-testid="negative-ignored" className="rounded border border-amber-500/40 px-1 text-amber-200">ignored at CFG 1</span> : undefined}>
          Negative prompt
        </Label>
        <textarea
          id="negative-prompt"
          rows={2}
          className={`${inputClass} resize-y leading-relaxed ${cfgOff ? 'opacity-70' : ''}`}
          placeholder="blurry, deformed hands, watermark / 模糊，水印"
          value={negativePrompt}
          onChange={(event) => setField('negativePrompt', event.target.value)}
          onKeyDown={onKeyDown}
          aria-describedby="negative-hint"
        />
        <Hint id="negative-hint" tone={cfgOff && negativePrompt.trim() ? 'warn' : 'info'}>
          {cfgOff
            ? 'Ignored at CFG 1 (off). Raise CFG above 1 to use it.'
            : 'Used: CFG is above 1, so each step also runs the negative prompt.'}
        </Hint>
      </div>
    </Section>
  );
}
