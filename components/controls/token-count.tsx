'use client';
// The live token count under the prompt: what the text encoder will read (chat template included) against its
// 512-token limit, asked of the server's tokenizer a moment after typing stops (the tokenizer is megabytes; the
// browser does not load it). Says how many tokens a longer prompt loses. Deliberately advisory: nothing is refused.
import { useEffect, useState } from 'react';
import { api } from '@/lib/client/api.ts';

type Count = { count: number; limit: number; truncated: boolean; dropped: number };

export function TokenCount({ text }: { text: string }) {
  const [count, setCount] = useState<Count | null>(null);
  useEffect(() => {
    let canceled = false;
    const timer = setTimeout(() => {
      api.tokens(text).then(
        (answer) => !canceled && setCount(answer),
        () => !canceled && setCount(null),
      );
    }, 250);
    return () => {
      canceled = true;
      clearTimeout(timer);
    };
  }, [text]);
  if (!count) return null;
  return (
    <span data-testid="token-count" className={count.truncated ? 'text-amber-300' : count.count > count.limit * 0.9 ? 'text-amber-200' : 'text-zinc-400'}>
      {count.truncated
        ? `${count.limit} / ${count.limit} tokens: ${count.dropped} cut off`
        : `${count.count} / ${count.limit} tokens`}
    </span>
  );
}
