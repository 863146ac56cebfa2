// GET /sdapi/v1/upscalers: only A1111's "None" entry; no upscaler model runs here.
import { SD_UPSCALERS } from '@/lib/api/a1111-surface.ts';
import { handle, json } from '@/lib/http.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async () => json(SD_UPSCALERS));
