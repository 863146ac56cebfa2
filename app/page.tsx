// The studio page. Renders on the server with the machine, the models and the first history page already loaded,
// so the controls are usable on first paint; `?from=<result id>` starts the form from that result's settings.
import { ServerProblem } from '@/components/server-problem.tsx';
import { StudioApp } from '@/components/studio-app.tsx';
import type { ApiErrorBody } from '@/lib/errors.ts';
import { errorBody } from '@/lib/http.ts';
import { getStudio, type Studio } from '@/lib/server/studio.ts';
import { loadSystem } from '@/lib/server/system.ts';
import { randomSeed } from '@/lib/params.ts';
import type { SystemResponse } from '@/lib/system.ts';

export const dynamic = 'force-dynamic';

export default async function StudioPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  let studio: Studio;
  try {
    studio = getStudio();
  } catch (error) {
    return <ServerProblem title="The studio could not start" message={(error as Error).message} />;
  }
  let system: SystemResponse | null = null;
  let systemError: ApiErrorBody | null = null;
  try {
    system = await loadSystem();
  } catch (error) {
    systemError = errorBody(error).body;
  }
  const { from } = await searchParams;
  const page = studio.store.list({ limit: 24 });
  const reuse = typeof from === 'string' ? (studio.store.get(from) ?? null) : null;
  return <StudioApp init={{ system, systemError, results: { ...page, total: studio.store.count() }, reuse, seed: randomSeed() }} />;
}
