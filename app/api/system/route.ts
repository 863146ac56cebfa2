// GET /api/system: the machine (EPs, precisions and why some are unavailable, GPU), the EP jobs run on, and the
// models on disk with their converted precisions and parameter counts.
import { handle, json } from '@/lib/http.ts';
import { loadSystem } from '@/lib/server/system.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async () => json(await loadSystem()));
