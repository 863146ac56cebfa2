// POST /sdapi/v1/interrupt: stops every A1111 request in flight (their running job is canceled, the rest not
// started); a request that had finished images answers with them, one that had none answers 409 "request_interrupted".
import { handle, json } from '@/lib/http.ts';
import { interruptAll } from '@/lib/server/a1111-session.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = handle(async () => json({ interrupted: await interruptAll() }));
