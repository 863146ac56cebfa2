// GET /sdapi/v1/samplers: the one sampler that runs (flow-matching Euler) with the names it answers to.
import { samplers } from '@/lib/api/a1111-surface.ts';
import { handle, json } from '@/lib/http.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async () => json(samplers()));
