// The share page /r/<id>: one result rendered on the server (image in view, parameters, badges and the evidence
// behind them, folded) with Open Graph and Twitter tags whose image URL is absolute (a JPEG of at most 1200 px), so
// link previews work. Ids are 128-bit random,
// so the page is public but unguessable; it works after restarts and in a fresh browser because it reads only the
// history store.
import type { Metadata } from 'next';
import { headers } from 'next/headers';
import { notFound } from 'next/navigation';
import { EvidenceDetails } from '@/components/results/evidence-details.tsx';
import { ResultBadges, ResultImage, ResultParameters } from '@/components/results/result-details.tsx';
import { DownloadIcon, EraserIcon } from '@/components/ui/icons.tsx';
import { ShareHeader } from '@/components/share-header.tsx';
import { buttonClass } from '@/components/ui/primitives.tsx';
import { truncate } from '@/lib/format.ts';
import { publicOrigin } from '@/lib/http.ts';
import { precisionBadge } from '@/lib/evidence.ts';
import { downloadName, imageUrl, openGraphUrl, shareUrl } from '@/lib/results.ts';
import { OG_MAX_SIDE } from '@/lib/server/images.ts';
import { getStudio } from '@/lib/server/studio.ts';
import { sharePageMetadata } from '@/lib/share-metadata.ts';

export const dynamic = 'force-dynamic';

interface Props {
  params: Promise<{ id: string }>;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { id } = await params;
  const { store, env } = getStudio();
  const record = store.get(id);
  if (!record) return { title: 'Result not found · Z-Image BF16 Studio' };
  const origin = publicOrigin(await headers(), env.PUBLIC_URL);
  const title = `${truncate(record.request.prompt, 70)} · Z-Image BF16 Studio`;
  const { request } = record;
  const description = `${record.model.name}, ${request.width}×${request.height}, ${request.steps} steps, CFG ${request.cfg}, seed ${request.seed}, ${precisionBadge(record).text}.`;
  const image = `${origin}${openGraphUrl(record.id)}`;
  const scale = Math.min(1, OG_MAX_SIDE / Math.max(request.width, request.height));
  return sharePageMetadata({
    title,
    description,
    url: `${origin}${shareUrl(record.id)}`,
    images: [{ url: image, width: Math.round(request.width * scale), height: Math.round(request.height * scale), alt: truncate(request.prompt, 200), type: 'image/jpeg' }],
    twitterImage: image,
  });
}

export default async function SharePage({ params }: Props) {
  const { id } = await params;
  const record = getStudio().store.get(id);
  if (!record) notFound();
  return (
    <div className="min-h-screen">
      <ShareHeader fromId={record.id} />
      <main className="mx-auto grid max-w-6xl gap-6 p-4 lg:grid-cols-[minmax(0,1fr)_340px] lg:p-8" data-testid="share-page">
        <div className="flex items-center justify-center rounded-lg border border-zinc-800 bg-zinc-900/40 p-2">
          {/* Sized to the screen below the header, so the whole image is in view on arrival, on a phone too. */}
          <ResultImage record={record} className="max-h-[calc(100svh-8rem)] w-auto max-w-full object-contain" />
        </div>
        <aside className="space-y-5">
          <ResultBadges record={record} />
          <ResultParameters record={record} />
          {record.request.image && (
            <figure className="space-y-1.5" data-testid="share-source">
              <figcaption className="text-[11px] font-semibold uppercase tracking-[0.08em] text-zinc-500">
                Source image · strength {record.request.image.strength}
                {record.request.image.masked ? ` · inpainted, mask blur ${record.request.image.maskBlur}` : ''}
              </figcaption>
              {/* the source this result was made from (an upload, or the result it varies or upscales) */}
              <img src={`/api/results/${record.id}/source.png`} alt="The source image this result started from" className="w-full rounded-md border border-zinc-800" />
            </figure>
          )}
          {/* Folded: the badges above say the verdict; the evidence behind them opens on request. */}
          <EvidenceDetails record={record} />
          <div className="flex flex-wrap gap-1.5">
            <a className={buttonClass.secondary} href={imageUrl(record.id, { download: true })} download={downloadName(record, true)}>
              <DownloadIcon /> Download PNG
            </a>
            <a className={buttonClass.secondary} href={imageUrl(record.id, { meta: false, download: true })} download={downloadName(record, false)}>
              <EraserIcon /> Without metadata
            </a>
          </div>
          {record.model.tiny && (
            <p className="text-xs leading-relaxed text-amber-200/80">
              Made with the tiny random-weights demo model: noise-like by design.{' '}
              <a className="underline underline-offset-2" href="/readme#adding-real-weights">
                Adding real weights
              </a>
            </p>
          )}
        </aside>
      </main>
    </div>
  );
}
