// /readme: the project README served by the studio itself, so in-app links such as /readme#adding-real-weights
// work offline and without a repository host. Deliberately reads the file at request time (it is edited in place).
import fs from 'node:fs';
import path from 'node:path';
import { Markdown } from '@/components/markdown.tsx';

export const dynamic = 'force-dynamic';

export const metadata = { title: 'README · Z-Image BF16 Studio' };

export default async function ReadmePage() {
  const file = path.join(process.cwd(), 'README.md');
  const source = await fs.promises.readFile(file, 'utf8').catch(() => null);
  return (
    <div className="min-h-screen">
      <header className="flex h-12 items-center border-b border-zinc-800 px-4">
        <a href="/" className="text-sm text-indigo-300 underline-offset-2 hover:underline">
          ← Back to the studio
        </a>
      </header>
      <main className="mx-auto max-w-3xl p-6">
        {source ? (
          <Markdown source={source} />
        ) : (
          <p className="text-sm text-zinc-400">README.md was not found in {process.cwd()}. Start the server from the project folder.</p>
        )}
      </main>
    </div>
  );
}
