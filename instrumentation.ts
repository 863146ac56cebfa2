// Runs once when the Next.js server starts: prepares the studio (history store) and makes sure the default model
// exists (weights/tiny/fp32 is created in seconds, without network, when absent), so the first visitor does not
// wait. Deliberately never throws: a failure is logged with its fix and retried on the first request.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { getStudio } = await import('./lib/server/studio.ts');
  try {
    const studio = getStudio();
    const model = await studio.engine.ready();
    console.log(`[studio] default model ready: ${model.name} (${model.dir}); history in ${studio.env.DATA_DIR}`);
  } catch (error) {
    console.error(`[studio] start-up preparation failed: ${(error as Error).message} — the studio retries on the first request.`);
  }
}
