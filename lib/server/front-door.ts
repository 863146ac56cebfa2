// What server.ts decides about a request before Next.js sees it: which forwarding headers to believe (X-Forwarded-
// Host and -Proto only from a proxy in ZIMAGE_TRUSTED_PROXIES, so no client can make share links and Open Graph URLs
// point at another host), and the refusals that must not wait for Next.js: methods a fetch Request cannot carry
// (TRACE, TRACK, CONNECT: Next.js fails on them with a bare 500), and a declared Content-Length over the route's
// limit (answered at once, before the body is read; Next.js would buffer it for the proxy first). Deliberately pure:
// the server hands in the method, path and headers and writes the answer.
import { isApiPath, matchApiRoute, MAX_BODY_BYTES } from '../api/routes.ts';
import { isOpenAiPath, toOpenAiError } from '../api/openai-errors.ts';
import type { ApiErrorBody } from '../errors.ts';

/** Headers that say what the client asked for before a proxy rewrote the request. */
export const FORWARDED_HEADERS = ['x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'forwarded'] as const;

/** Removes the forwarding headers unless the peer is a trusted proxy; X-Forwarded-For is handled apart. */
export function dropUntrustedForwarding(headers: Record<string, string | string[] | undefined>, peerTrusted: boolean): string[] {
  if (peerTrusted) return [];
  const dropped = FORWARDED_HEADERS.filter((name) => headers[name] !== undefined);
  for (const name of dropped) delete headers[name];
  return dropped;
}

/** Methods undici's Request refuses to construct, so Next.js cannot route them. */
const UNROUTABLE_METHODS = new Set(['TRACE', 'TRACK', 'CONNECT']);

export interface EarlyRefusal {
  status: number;
  reason: string;
  headers: Record<string, string>;
  /** The JSON body: the studio's error shape, or OpenAI's under /v1/. */
  body: unknown;
}

function refusal(pathname: string, status: number, reason: string, error: ApiErrorBody, headers: Record<string, string> = {}): EarlyRefusal {
  return { status, reason, headers, body: isOpenAiPath(pathname) ? toOpenAiError(status, error) : { error } };
}

/** A refusal to write at once, or undefined to hand the request to Next.js. */
export function earlyRefusal(method: string, url: string, contentLength: string | undefined): EarlyRefusal | undefined {
  const pathname = url.split('?')[0] ?? '/';
  const route = isApiPath(pathname) ? matchApiRoute(pathname) : undefined;
  if (UNROUTABLE_METHODS.has(method.toUpperCase())) {
    const allow = route ? route.methods.join(', ') : isApiPath(pathname) ? '' : 'GET, HEAD';
    return refusal(
      pathname,
      405,
      'Method Not Allowed',
      { code: 'method_not_allowed', message: `${method.slice(0, 20)} is not answered here. ${route ? `${route.path} answers ${allow}.` : isApiPath(pathname) ? 'See the README\'s API reference.' : 'Pages answer GET and HEAD.'}` },
      allow ? { Allow: allow } : {},
    );
  }
  const declared = Number(contentLength ?? 0);
  const limit = route?.maxBodyBytes ?? MAX_BODY_BYTES;
  if (Number.isFinite(declared) && declared > limit) {
    return refusal(pathname, 413, 'Payload Too Large', {
      code: 'body_too_large',
      message: `The body is ${declared} bytes; ${route?.maxBodyBytes ? `${route.path} takes` : 'requests are limited to'} ${limit} bytes. ${route?.maxBodyBytes ? 'Send a smaller image.' : 'Shorten the prompts.'}`,
    });
  }
  return undefined;
}
