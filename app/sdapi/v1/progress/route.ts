// GET /sdapi/v1/progress: the A1111 request in flight, if any: progress 0..1 over all its images, ETA in seconds and
// A1111's state (job_count 0 and progress 0 when idle, which clients wait for); current_image is the live preview
// where the queue reports one, else null.
import { z } from 'zod';
import { handle, json, readQuery } from '@/lib/http.ts';
import { progress } from '@/lib/server/a1111-session.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const querySchema = z.strictObject({ skip_current_image: z.enum(['true', 'false', 'True', 'False', '0', '1']).optional() });

export const GET = handle(async (request: Request) => {
  readQuery(request, querySchema);
  return json(await progress());
});
