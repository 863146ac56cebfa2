// A deliberately small Markdown renderer for the project README (headings with GitHub-style anchors, paragraphs,
// lists, fenced code, tables, inline code, bold and links). Not a general Markdown engine: raw HTML is shown as
// text, never injected, so the page cannot be used to run scripts.
import type { ReactNode } from 'react';

/** GitHub's anchor rule: lower case, punctuation dropped, spaces to hyphens ("Adding real weights" → adding-real-weights). */
export function slugify(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function inline(text: string, keyPrefix: string): ReactNode[] {
  const nodes: ReactNode[] = [];
  const pattern = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\[[^\]]+\]\([^)\s]+\))/g;
  let last = 0;
  let index = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) nodes.push(text.slice(last, match.index));
    const token = match[0];
    const key = `${keyPrefix}-${index++}`;
    if (token.startsWith('`')) {
      nodes.push(<code key={key} className="rounded bg-zinc-800 px-1 py-0.5 font-mono text-[0.85em] text-zinc-200">{token.slice(1, -1)}</code>);
    } else if (token.startsWith('**')) {
      nodes.push(<strong key={key} className="font-semibold text-zinc-100">{token.slice(2, -2)}</strong>);
    } else {
      const [, label, href] = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(token)!;
      const safe = /^(https?:|#|\/|\.)/.test(href) ? href : '#';
      nodes.push(<a key={key} href={safe} className="text-indigo-300 underline underline-offset-2">{label}</a>);
    }
    last = match.index + token.length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}

const headingClass = ['', 'text-2xl', 'text-xl', 'text-lg', 'text-base', 'text-sm', 'text-sm'];

export function Markdown({ source }: { source: string }) {
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  const blocks: ReactNode[] = [];
  let index = 0;
  const seen = new Map<string, number>();
  while (index < lines.length) {
    const line = lines[index];
    const key = `b${index}`;
    if (line.startsWith('```')) {
      const body: string[] = [];
      index++;
      while (index < lines.length && !lines[index].startsWith('```')) body.push(lines[index++]);
      index++;
      blocks.push(<pre key={key} className="overflow-x-auto rounded-md border border-zinc-800 bg-zinc-900 p-3 font-mono text-xs leading-relaxed text-zinc-200">{body.join('\n')}</pre>);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const level = heading[1].length;
      const base = slugify(heading[2]);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      const id = count === 0 ? base : `${base}-${count}`;
      const Tag = `h${level}` as 'h1';
      blocks.push(
        <Tag key={key} id={id} className={`${headingClass[level]} scroll-mt-4 pt-4 font-semibold text-zinc-100`}>
          <a href={`#${id}`} className="hover:underline">{inline(heading[2], key)}</a>
        </Tag>,
      );
      index++;
      continue;
    }
    if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const items: string[] = [];
      while (index < lines.length && /^\s*([-*]|\d+\.)\s+/.test(lines[index])) {
        items.push(lines[index++].replace(/^\s*([-*]|\d+\.)\s+/, ''));
      }
      const List = ordered ? 'ol' : 'ul';
      blocks.push(
        <List key={key} className={`${ordered ? 'list-decimal' : 'list-disc'} space-y-1 pl-6 text-sm leading-relaxed text-zinc-300`}>
          {items.map((item, at) => <li key={at}>{inline(item, `${key}-${at}`)}</li>)}
        </List>,
      );
      continue;
    }
    if (line.startsWith('|')) {
      const rows: string[][] = [];
      while (index < lines.length && lines[index].startsWith('|')) {
        const cells = lines[index++].split('|').slice(1, -1).map((cell) => cell.trim());
        if (!cells.every((cell) => /^:?-+:?$/.test(cell))) rows.push(cells);
      }
      blocks.push(
        <div key={key} className="overflow-x-auto">
          <table className="text-left text-xs text-zinc-300">
            <tbody>
              {rows.map((cells, at) => (
                <tr key={at} className="border-b border-zinc-800">
                  {cells.map((cell, column) => {
                    const Cell = at === 0 ? 'th' : 'td';
                    return <Cell key={column} className="px-2 py-1 align-top">{inline(cell, `${key}-${at}-${column}`)}</Cell>;
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>,
      );
      continue;
    }
    if (line.trim() === '') {
      index++;
      continue;
    }
    const paragraph: string[] = [];
    while (index < lines.length && lines[index].trim() !== '' && !/^(#{1,6}\s|```|\||\s*([-*]|\d+\.)\s)/.test(lines[index])) {
      paragraph.push(lines[index++]);
    }
    blocks.push(<p key={key} className="text-sm leading-relaxed text-zinc-300">{inline(paragraph.join(' '), key)}</p>);
  }
  return <div className="space-y-3">{blocks}</div>;
}
