// POST /sdapi/v1/skip: drops the image being made by the oldest A1111 request; its next image (of batch_size ×
// n_iter) starts. Jobs queued by the studio page or other APIs are never touched.
import { handle, json } from '@/lib/http.ts';
import { skipCurrent } from '@/lib/server/a1111-session.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = handle(async () => json({ skipped: await skipCurrent() }));
