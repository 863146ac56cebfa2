// GET /sdapi/v1/schedulers: the one schedule that runs (Z-Image's shifted flow-matching sigmas, "Simple").
import { schedulers } from '@/lib/api/a1111-surface.ts';
import { handle, json } from '@/lib/http.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async () => json(schedulers()));
