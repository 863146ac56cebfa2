// POST /sdapi/v1/refresh-checkpoints: A1111 rescans its model folder here; the studio rescans WEIGHTS_DIR on every
// listing anyway, so this answers with what the next GET /sdapi/v1/sd-models will list.
import { handle, json } from '@/lib/http.ts';
import { checkpoints } from '@/lib/server/a1111-session.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = handle(async () => json({ checkpoints: (await checkpoints()).models.map((model) => model.id) }));
