// GET /sdapi/v1/latent-upscale-modes: empty; the hires fix that would use them does not run here.
import { handle, json } from '@/lib/http.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async () => json([]));
