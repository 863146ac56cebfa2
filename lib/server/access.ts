// Who may use the studio. Decides once per process whether the studio is reachable from other machines (the address
// it listens on: HOST for server.ts, -H for a `next start` run by hand; or a PUBLIC_URL that is not loopback) and so
// whether requests need ZIMAGE_API_TOKEN; then checks a request's Authorization header or session cookie against it
// in constant time. Deliberately stateless: the browser's session cookie is an HMAC of the token, so sessions survive
// restarts and all end when the token changes; there is no session table and no per-user account.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import type { Env } from '../env.ts';

export const SESSION_COOKIE = 'zimage_session';
/** 30 days: a studio on a home network should not ask for the token every morning. */
export const SESSION_MAX_AGE_S = 30 * 24 * 3600;

export type Access =
  /** Loopback only and no token: every local client is trusted, remote ones cannot connect. */
  | { mode: 'local' }
  /** Token required on every private route and page. */
  | { mode: 'token'; token: string }
  /** Reachable from elsewhere without a token, because ZIMAGE_ALLOW_OPEN=1 says so. */
  | { mode: 'open'; exposure: string };

/** localhost, *.localhost, 127.0.0.0/8 and ::1 (also IPv4-mapped), with or without IPv6 brackets. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (net.isIPv4(bare)) return bare.startsWith('127.');
  if (!net.isIPv6(bare)) return false;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped) return mapped[1].startsWith('127.');
  const loopback = new net.BlockList();
  loopback.addAddress('::1', 'ipv6');
  return loopback.check(bare, 'ipv6');
}

/**
 * The address `next start` / `next dev` was told to listen on (-H, --hostname), or '::' (every interface, Next's
 * default) when none was given. Next's standalone server.js (`npm run pack:host`) binds to HOSTNAME, every interface
 * when it is unset, whatever HOST says. Undefined for any other program (tests, scripts): HOST decides then.
 */
export function listenHost(
  argv: readonly string[] = process.argv,
  standalone: { config?: string; hostname?: string } = {
    config: process.env.__NEXT_PRIVATE_STANDALONE_CONFIG,
    hostname: process.env.HOSTNAME,
  },
): string | undefined {
  // server.js sets __NEXT_PRIVATE_STANDALONE_CONFIG before it starts Next, then listens on HOSTNAME || '0.0.0.0'.
  if (standalone.config) return standalone.hostname || '0.0.0.0';
  if (path.basename(argv[1] ?? '') !== 'next' || (argv[2] !== 'start' && argv[2] !== 'dev')) return undefined;
  for (let index = 3; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === '-H' || arg === '--hostname') return argv[index + 1];
    const inline = /^(?:--hostname=|-H=?)(.+)$/.exec(arg);
    if (inline) return inline[1];
  }
  return '::';
}

/** Why the studio is reachable from other machines, or null when it listens on loopback only. */
export function exposure(env: Pick<Env, 'HOST' | 'PUBLIC_URL'>, listen: string | undefined): string | null {
  const host = listen ?? env.HOST;
  if (!isLoopbackHost(host)) {
    return host === '::' || host === '0.0.0.0' ? `it listens on every interface (${host})` : `it listens on ${host}`;
  }
  if (env.PUBLIC_URL && !isLoopbackHost(new URL(env.PUBLIC_URL).hostname)) return `PUBLIC_URL is ${env.PUBLIC_URL}`;
  return null;
}

/** The access mode, or an Error that says how to make the configuration safe. */
export function accessPolicy(
  env: Pick<Env, 'HOST' | 'PUBLIC_URL' | 'ZIMAGE_API_TOKEN' | 'ZIMAGE_ALLOW_OPEN'>,
  listen: string | undefined = listenHost(),
): Access {
  if (env.ZIMAGE_API_TOKEN) return { mode: 'token', token: env.ZIMAGE_API_TOKEN };
  const reason = exposure(env, listen);
  if (!reason) return { mode: 'local' };
  if (env.ZIMAGE_ALLOW_OPEN) return { mode: 'open', exposure: reason };
  throw new Error(
    `Refusing to serve without an API token: the studio would be reachable from other machines (${reason}). ` +
      'Set ZIMAGE_API_TOKEN (e.g. ZIMAGE_API_TOKEN=$(openssl rand -hex 16)) and give it to your clients, ' +
      'or bind to loopback with HOST=127.0.0.1, or set ZIMAGE_ALLOW_OPEN=1 to let anyone who can reach it generate, ' +
      'read and delete results.',
  );
}

/** The one line logged at start, loud when the studio is open to the network. */
export function describeAccess(access: Access): string {
  switch (access.mode) {
    case 'local':
      return '[studio] access: loopback only, no token needed.';
    case 'token':
      return '[studio] access: API token required (Authorization: Bearer <token>, or sign in at /login).';
    case 'open':
      return (
        `[studio] WARNING: OPEN TO THE NETWORK WITHOUT A TOKEN — ${access.exposure} and ZIMAGE_ALLOW_OPEN=1. ` +
        'Anyone who can reach this port can generate, read and delete results. Set ZIMAGE_API_TOKEN to close it.'
      );
  }
}

/** At start: logs the access mode (loudly when open), or the reason it is unsafe and exits, so it never serves. */
export function announceAccessOrExit(readEnv: () => Env): void {
  try {
    const access = accessPolicy(readEnv());
    (access.mode === 'open' ? console.warn : console.log)(describeAccess(access));
  } catch (error) {
    console.error(`[studio] ${(error as Error).message}`);
    process.exit(1);
  }
}

/** Equal-length digests, so the comparison time says nothing about how much of a guess was right. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The session cookie's value: derived from the token, so it proves the browser once presented it. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('zimage-studio session v1').digest('base64url');
}

/** True when the token is not required, or the request carries it (Bearer, Basic password) or the session cookie. */
export function isAuthorized(access: Access, authorization: string | null, sessionCookie: string | undefined): boolean {
  if (access.mode !== 'token') return true;
  if (sessionCookie && sameSecret(sessionCookie, sessionValue(access.token))) return true;
  const bearer = /^Bearer +(\S+)$/i.exec(authorization ?? '')?.[1];
  if (bearer) return sameSecret(bearer, access.token);
  // A1111 clients send --api-auth as HTTP Basic; any user name, the token as the password.
  const basic = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '')?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    return decoded.includes(':') && sameSecret(decoded.slice(decoded.indexOf(':') + 1), access.token);
  }
  return false;
}

/** Where to go after signing in: a path on this site only (no `//host`, no backslashes), else the studio. */
export function safeNextPath(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2048 || !/^\/(?![/\\])[^\s\\]*$/.test(next)) return '/';
  return next;
}
