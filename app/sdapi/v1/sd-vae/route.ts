// GET /sdapi/v1/sd-vae: empty, as for an A1111 without VAE files; Z-Image always decodes with its own VAE
// (sd_vae "Automatic"), so there is nothing to pick.
import { handle, json } from '@/lib/http.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async () => json([]));
