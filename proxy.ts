// Next.js proxy (formerly middleware): runs lib/server/guard.ts on every request except the build's static files,
// answering refused ones itself and passing the rest on with their Content-Security-Policy. Deliberately only an
// adapter: the checks, their order and their messages live in the guard, where tests reach them without Next.js.
import { NextResponse, type NextRequest } from 'next/server';
import { SESSION_COOKIE, accessPolicy } from './lib/server/access.ts';
import { getEnv } from './lib/env.ts';
import { guard, type GuardContext } from './lib/server/guard.ts';
import { RateLimiter, SERVED_BY_STUDIO_SERVER } from './lib/server/limits.ts';

let context: GuardContext | undefined;

/** Built on the first request (the environment is read at run time, not at build time), then kept. */
function guardContext(): GuardContext {
  if (context) return context;
  let access: GuardContext['access'];
  let env;
  try {
    env = getEnv();
    access = accessPolicy(env);
  } catch (error) {
    access = error as Error;
  }
  context = {
    access,
    publicUrl: env?.PUBLIC_URL,
    limits: { api: new RateLimiter(env?.ZIMAGE_RATE_LIMIT ?? 600), generate: new RateLimiter(env?.ZIMAGE_GENERATE_RATE_LIMIT ?? 30) },
    dev: process.env.NODE_ENV === 'development',
  };
  if (!(globalThis as Record<symbol, unknown>)[SERVED_BY_STUDIO_SERVER]) {
    console.warn(
      '[studio] WARNING: not started by server.ts (`npm start`): X-Forwarded-For is taken as clients send it, so a ' +
        'client can pose as many to the per-client limits. Start the studio with `npm start` or `npm run dev`.',
    );
  }
  return context;
}

export function proxy(request: NextRequest): Response {
  const decision = guard(
    {
      method: request.method,
      pathname: request.nextUrl.pathname,
      search: request.nextUrl.search,
      headers: request.headers,
      sessionCookie: request.cookies.get(SESSION_COOKIE)?.value,
    },
    guardContext(),
  );
  if (decision.kind === 'respond') return decision.response;
  // Absolute on the request's own origin, which Next.js turns back into a relative Location for the browser.
  if (decision.kind === 'redirect') return NextResponse.redirect(new URL(decision.location, request.url), 303);
  const requestHeaders = new Headers(request.headers);
  for (const [name, value] of Object.entries(decision.requestHeaders)) requestHeaders.set(name, value);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(decision.responseHeaders)) response.headers.set(name, value);
  return response;
}

export const config = {
  // Static build files are public and immutable; everything else (pages, API, metadata routes) is guarded.
  matcher: ['/((?!_next/static/).*)'],
};
