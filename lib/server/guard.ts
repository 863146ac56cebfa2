// The checks every request passes before a page or route runs, in this order: a safe configuration, a Host header
// that names this studio (DNS rebinding), a known API path and method (pages: GET and HEAD only), a same-origin
// browser for state changes (CSRF), the API token (failures on a rate limit of their own), the per-client rate
// limits, and a declared body size (the route's own limit for image uploads). A request that fails gets the API's
// JSON error (or, for a page without credentials, a redirect to /login); one that passes gets its Content-Security-
// Policy. Deliberately free of Next.js types so tests call it directly; proxy.ts adapts it.
import { randomBytes } from 'node:crypto';
import type { ApiErrorBody } from '../errors.ts';
import { isApiPath, isPublicPage, matchApiRoute, MAX_BODY_BYTES } from '../api/routes.ts';
import { isOpenAiPath, toOpenAiError } from '../api/openai-errors.ts';
import { isAuthorized, isLoopbackHost, type Access } from './access.ts';
import { clientKey, type RateLimiter } from './limits.ts';

export interface GuardRequest {
  method: string;
  /** As received, still percent-encoded. */
  pathname: string;
  /** Including the leading '?', or ''. */
  search: string;
  headers: Headers;
  sessionCookie?: string;
}

export interface GuardContext {
  /** The access policy, or the configuration error that makes every request fail until it is fixed. */
  access: Access | Error;
  publicUrl?: string;
  limits: { api: RateLimiter; generate: RateLimiter };
  dev?: boolean;
}

export type GuardDecision =
  | { kind: 'respond'; response: Response }
  /** A page without credentials: send the browser to this same-site path (the proxy makes it absolute). */
  | { kind: 'redirect'; location: string }
  /** Continue to the page or route with these extra request headers (the CSP nonce) and response headers. */
  | { kind: 'pass'; requestHeaders: Record<string, string>; responseHeaders: Record<string, string> };

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Pages: scripts only with this response's nonce (Next.js stamps it on its own), no inline styles, no framing. */
export function pageCsp(nonce: string, dev = false): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ''}`,
    // No style attributes in the HTML: data-driven styles are CSSOM writes after mount (components/ui/styled.tsx).
    // The nonce admits a <style> element Next.js stamps; development keeps 'unsafe-inline' for its overlay and HMR.
    `style-src 'self' ${dev ? "'unsafe-inline'" : `'nonce-${nonce}'`}`,
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${dev ? ' ws:' : ''}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** API answers are data: nothing in them may run, load or be framed, even when opened as a document. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** A refusal as JSON: the studio's error shape, or OpenAI's under /v1/ so the official SDKs read it. */
function refusal(pathname: string) {
  return (status: number, error: ApiErrorBody, headers: Record<string, string> = {}): GuardDecision => {
    const response = Response.json(
      isOpenAiPath(pathname) ? toOpenAiError(status, error) : { error },
      { status, headers: { 'Cache-Control': 'no-store', 'Content-Security-Policy': API_CSP, ...headers } },
    );
    return { kind: 'respond', response };
  };
}

/** Host names this studio answers to when it trusts every local client: loopback names and PUBLIC_URL's host. */
function hostAllowed(hostHeader: string | null, publicUrl?: string): boolean {
  if (!hostHeader) return false;
  const hostname = hostHeader.replace(/:\d+$/, '');
  if (isLoopbackHost(hostname)) return true;
  return publicUrl !== undefined && new URL(publicUrl).hostname === hostname.toLowerCase();
}

/** A browser's cross-site request carries an Origin (or Sec-Fetch-Site) naming another site; curl and SDKs send none. */
function crossOrigin(headers: Headers, publicUrl?: string): boolean {
  if (headers.get('sec-fetch-site') === 'cross-site') return true;
  const origin = headers.get('origin');
  if (origin === null) return false;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return true; // "null" (sandboxed frames, file://) or garbage
  }
  // A reverse proxy may rewrite Host and keep the browser's in X-Forwarded-Host; a web page cannot set that header
  // on a request to another site without a CORS preflight, which this studio never grants.
  const ownHosts = [headers.get('host'), headers.get('x-forwarded-host'), publicUrl && new URL(publicUrl).host].filter(Boolean);
  return !ownHosts.includes(originHost);
}

function decodable(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

export function guard(request: GuardRequest, context: GuardContext): GuardDecision {
  const { access, publicUrl } = context;
  const { method, pathname, headers } = request;
  const reject = refusal(pathname);
  if (access instanceof Error) {
    return reject(503, { code: 'unsafe_configuration', message: access.message });
  }

  if (access.mode === 'local' && !hostAllowed(headers.get('host'), publicUrl)) {
    return reject(421, {
      code: 'host_not_allowed',
      message:
        `This studio answers only to localhost, 127.0.0.1 and [::1]${publicUrl ? ` and ${new URL(publicUrl).host}` : ''}, ` +
        `not to Host "${(headers.get('host') ?? '').slice(0, 100)}": a web page could otherwise reach it by DNS rebinding. ` +
        'Open it by one of those names, or set PUBLIC_URL to the address you use.',
    });
  }

  if (!decodable(pathname)) {
    // Next.js would fail decoding such a path parameter with a bare 500.
    return reject(400, {
      code: 'invalid_path',
      message: 'The path is not valid percent-encoded UTF-8 (e.g. an overlong "%c0%ae"). Encode ids and names as UTF-8.',
    });
  }
  const api = isApiPath(pathname);
  const route = api ? matchApiRoute(pathname) : undefined;
  if (api && !route) {
    return reject(404, {
      code: 'not_found',
      message: `There is no API route ${pathname.slice(0, 200)}. The routes are listed in the README under "API reference" (/readme#api-reference).`,
    });
  }
  // HEAD goes wherever GET does; OPTIONS is answered by Next.js itself (with Allow, and no CORS grant).
  const allowed: readonly string[] = route ? [...route.methods, ...(route.methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'] : [];
  if (route && !allowed.includes(method)) {
    return reject(
      405,
      { code: 'method_not_allowed', message: `${route.path} answers ${route.methods.join(', ')}, not ${method.slice(0, 20)}.` },
      { Allow: route.methods.join(', ') },
    );
  }

  // Pages are documents: nothing posts to them (forms go to /api/session), so any other method is a probe.
  if (!api && method !== 'GET' && method !== 'HEAD') {
    return reject(
      405,
      { code: 'method_not_allowed', message: `Pages answer GET and HEAD only, not ${method.slice(0, 20)}. The API lives under /api/, /v1/ and /sdapi/ (README, "API reference").` },
      { Allow: 'GET, HEAD' },
    );
  }

  if (UNSAFE_METHODS.has(method) && crossOrigin(headers, publicUrl)) {
    return reject(403, {
      code: 'cross_origin',
      message:
        'Refused a state-changing request sent by another web site (its Origin is not this studio). ' +
        'Call the API from the studio page or from a program (curl, an SDK), which sends no Origin.',
    });
  }

  // The token is checked before the rate limits: a request without it draws on its own per-client bucket, so
  // anonymous failures (a guessing script on the same address) cannot use up a signed-in user's budget.
  const client = clientKey(headers);
  const isPublic = route ? route.access !== 'private' : isPublicPage(pathname);
  if (!isPublic && !isAuthorized(access, headers.get('authorization'), request.sessionCookie)) {
    const wait = context.limits.api.take(`unauthorized:${client}`);
    if (wait > 0) {
      return reject(
        429,
        { code: 'rate_limited', message: `Too many requests without the API token from ${client}: retry in ${wait} s.`, hint: 'Send `Authorization: Bearer <ZIMAGE_API_TOKEN>`.' },
        { 'Retry-After': String(wait) },
      );
    }
    if (!api) return { kind: 'redirect', location: `/login?next=${encodeURIComponent(`${pathname}${request.search}`)}` };
    return reject(
      401,
      {
        code: 'unauthorized',
        message: 'This studio needs its API token: send `Authorization: Bearer <ZIMAGE_API_TOKEN>`, or sign in at /login in a browser.',
      },
      { 'WWW-Authenticate': 'Bearer realm="zimage-studio"' },
    );
  }

  const apiWait = context.limits.api.take(client);
  const wait = apiWait || (route?.generates && method === 'POST' ? context.limits.generate.take(client) : 0);
  if (wait > 0) {
    const which = apiWait ? 'requests (ZIMAGE_RATE_LIMIT)' : 'generation requests (ZIMAGE_GENERATE_RATE_LIMIT)';
    return reject(
      429,
      { code: 'rate_limited', message: `Too many ${which} from ${client}: retry in ${wait} s.`, hint: 'The limits are per client and per minute.' },
      { 'Retry-After': String(wait) },
    );
  }

  const declared = Number(headers.get('content-length') ?? 0);
  const limit = route?.maxBodyBytes ?? MAX_BODY_BYTES;
  if (declared > limit) {
    return reject(413, {
      code: 'body_too_large',
      message: `The body is ${declared} bytes; ${route?.maxBodyBytes ? `${route.path} takes` : 'requests are limited to'} ${limit} bytes. ${route?.maxBodyBytes ? 'Send a smaller image.' : 'Shorten the prompts.'}`,
    });
  }

  if (api) return { kind: 'pass', requestHeaders: {}, responseHeaders: { 'Content-Security-Policy': API_CSP } };
  // Next.js reads the nonce from the request's CSP header and puts it on every script it renders.
  const csp = pageCsp(randomBytes(16).toString('base64'), context.dev);
  return { kind: 'pass', requestHeaders: { 'Content-Security-Policy': csp }, responseHeaders: { 'Content-Security-Policy': csp } };
}
