// POST /api/session: signs a browser in with the API token (the /login form, or JSON {"token"} from a script) by
// setting an HttpOnly session cookie derived from the token; DELETE signs it out. Only meaningful when
// ZIMAGE_API_TOKEN is set. Deliberately no accounts: whoever knows the token is the studio's user.
import { z } from 'zod';
import { StudioError } from '@/lib/errors.ts';
import { getEnv } from '@/lib/env.ts';
import { handle, json, mediaType, readBodyText, readJson } from '@/lib/http.ts';
import { accessPolicy, isAuthorized, safeNextPath, SESSION_COOKIE, SESSION_MAX_AGE_S, sessionValue } from '@/lib/server/access.ts';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const sessionSchema = z.strictObject({
  token: z.string({ error: 'token must be the studio\'s API token (ZIMAGE_API_TOKEN).' }).max(1024),
  next: z.string().max(2048).optional(),
});

/**
 * Secure whenever the studio's public URL is https, and when the browser reached us over https (directly, or through
 * a trusted proxy that says so: server.ts drops X-Forwarded-Proto from anyone else).
 */
function cookie(request: Request, value: string, maxAge: number): string {
  const https =
    getEnv().PUBLIC_URL?.startsWith('https:') ||
    new URL(request.url).protocol === 'https:' ||
    request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${https ? '; Secure' : ''}`;
}

export const POST = handle(async (request: Request) => {
  const access = accessPolicy(getEnv());
  if (access.mode !== 'token') {
    throw new StudioError('no_token_configured', 'This studio runs without an API token, so there is nothing to sign in to. Open / directly.');
  }
  const form = mediaType(request) === 'application/x-www-form-urlencoded';
  const body = form
    ? sessionSchema.safeParse(Object.fromEntries(new URLSearchParams(await readBodyText(request))))
    : { success: true as const, data: await readJson(request, sessionSchema) };
  if (!body.success) throw new StudioError('invalid_request', 'Send the form field "token" (and optionally "next").');
  const next = safeNextPath(body.data.next);
  if (!isAuthorized(access, `Bearer ${body.data.token}`, undefined)) {
    if (form) {
      // The sign-in page shows the failure; the token itself never goes into a URL.
      return new Response(null, { status: 303, headers: { Location: `/login?error=1&next=${encodeURIComponent(next)}`, 'Cache-Control': 'no-store' } });
    }
    throw new StudioError('unauthorized', 'That is not the studio\'s API token (ZIMAGE_API_TOKEN). Check it and retry.');
  }
  const setCookie = cookie(request, sessionValue(access.token), SESSION_MAX_AGE_S);
  if (form) return new Response(null, { status: 303, headers: { Location: next, 'Set-Cookie': setCookie, 'Cache-Control': 'no-store' } });
  return json({ signedIn: true }, { headers: { 'Set-Cookie': setCookie } });
});

export const DELETE = handle(async (request: Request) => json({ signedOut: true }, { headers: { 'Set-Cookie': cookie(request, '', 0) } }));
