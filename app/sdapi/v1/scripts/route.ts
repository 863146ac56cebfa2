// GET /sdapi/v1/scripts: no A1111 scripts run here, so txt2img and img2img list none (clients probe this for
// extensions such as ControlNet and ADetailer before they send their arguments).
import { handle, json } from '@/lib/http.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle(async () => json({ txt2img: [], img2img: [] }));
