// GET /sdapi/v1/cmd-flags: A1111's command-line flags as this studio would have them (the API on, where it listens).
// Deliberately never includes the token (A1111 echoes --api-auth here; this does not).
import { handle, json } from '@/lib/http.ts';
import { isLoopbackHost } from '@/lib/server/access.ts';
import { getStudio } from '@/lib/server/studio.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async () => {
  const { env } = getStudio();
  return json({ api: true, nowebui: false, listen: !isLoopbackHost(env.HOST), port: env.PORT, api_auth: null, ckpt_dir: null, skip_torch_cuda_test: false, lowvram: false, medvram: false });
});
