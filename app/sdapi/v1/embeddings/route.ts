// GET /sdapi/v1/embeddings: none loaded or skipped; textual-inversion embeddings are for CLIP encoders, and Z-Image
// encodes with Qwen3.
import { handle, json } from '@/lib/http.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async () => json({ loaded: {}, skipped: {} }));
