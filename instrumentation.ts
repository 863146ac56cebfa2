// Runs once when the Next.js server starts. First the access check: a studio reachable from other machines without
// ZIMAGE_API_TOKEN (and without ZIMAGE_ALLOW_OPEN=1) stops here with the fix, rather than serve the network; an open
// one says so loudly. Then it prepares the studio (history store; jobs a previous process left unfinished are marked
// failed) and makes sure the default model exists (weights/tiny/fp32 is created in seconds, without network), so the
// first visitor does not wait. That preparation never throws: a failure is logged with its fix and retried on the
// first request.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { getEnv } = await import('./lib/env.ts');
  const { announceAccessOrExit } = await import('./lib/server/access.ts');
  announceAccessOrExit(getEnv);
  const { getStudio } = await import('./lib/server/studio.ts');
  try {
    const studio = getStudio();
    console.log(`[studio] ${await studio.prepare()}`);
  } catch (error) {
    console.error(`[studio] start-up preparation failed: ${(error as Error).message} — the studio retries on the first request.`);
  }
}
