// The comparison page /c/<id>: the same prompt, seed and settings in each precision, side by side — server-rendered
// from the stored comparison (so the link works in a fresh browser and after restarts), then kept live in the browser
// while its jobs run. Public but unguessable (128-bit id), unlisted. The slider, the difference map and the
// numbers are computed in the browser from the two PNGs.
import type { Metadata } from 'next';
import { headers } from 'next/headers';
import { notFound } from 'next/navigation';
import { cache } from 'react';
import { ComparisonScreen } from '@/components/compare/comparison-screen.tsx';
import { comparisonUrl, isComparisonId, resultColumns } from '@/lib/comparison.ts';
import { truncate } from '@/lib/format.ts';
import { publicOrigin } from '@/lib/http.ts';
import { PRECISION_LABELS } from '@/lib/precision.ts';
import { imageUrl } from '@/lib/results.ts';
import { comparisonView } from '@/lib/server/comparisons.ts';
import { getStudio } from '@/lib/server/studio.ts';
import { sharePageMetadata } from '@/lib/share-metadata.ts';

export const dynamic = 'force-dynamic';

interface Props {
  params: Promise<{ id: string }>;
}

/** Once per request: the metadata and the page share one resolution of the columns (and at most one save). */
const load = cache(async (id: string) => (isComparisonId(id) ? comparisonView(id) : undefined));

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const view = await load((await params).id);
  if (!view) return { title: 'Comparison not found · Z-Image BF16 Studio' };
  const origin = publicOrigin(await headers(), getStudio().env.PUBLIC_URL);
  const labels = view.columns.map((column) => PRECISION_LABELS[column.precision]).join(' vs ');
  const title = `${labels}: ${truncate(view.settings.prompt, 60)} · Z-Image BF16 Studio`;
  const description = `${view.model.name}, ${view.settings.width}×${view.settings.height}, ${view.settings.steps} steps, seed ${view.settings.seed}, in ${labels}.`;
  const first = resultColumns(view)[0];
  return sharePageMetadata({
    title,
    description,
    url: `${origin}${comparisonUrl(view.id)}`,
    images: first ? [{ url: `${origin}${imageUrl(first.result.id)}`, width: view.settings.width, height: view.settings.height }] : [],
  });
}

export default async function ComparisonPage({ params }: Props) {
  const view = await load((await params).id);
  if (!view) notFound();
  const origin = publicOrigin(await headers(), getStudio().env.PUBLIC_URL);
  return <ComparisonScreen initial={view} shareUrl={`${origin}${comparisonUrl(view.id)}`} />;
}
