// The studio's HTTP server (`npm start`, and `npm run dev` with --dev): Next.js's request handler behind a plain Node
// http.Server, for two things `next start` cannot do. (1) Client identity: Next.js keeps any X-Forwarded-For a client
// sends, so before Next.js sees a request this server overwrites that header with the address the per-client limits
// may trust (lib/server/client-address.ts: the TCP peer, or behind ZIMAGE_TRUSTED_PROXIES the right-most hop they
// did not add), and the forwarded host and scheme believed only from those proxies. (2) Malformed requests Node
// refuses before any handler runs (headers over 16 KB, bad syntax), methods Next.js cannot route (TRACE, CONNECT) and
// bodies declared over the limit get the API's JSON error at once (lib/server/front-door.ts) instead of a bare
// status line or a 500. Deliberately nothing else: access checks, limits and headers stay in proxy.ts and
// lib/server/guard.ts. Compiled by scripts/build-engine.mjs into dist/server.mjs (next stays external).
import http from 'node:http';
import type { Duplex } from 'node:stream';
import next from 'next';
import { getEnv, type Env } from './lib/env.ts';
import { clientAddress, normalizeAddress, trustedProxies } from './lib/server/client-address.ts';
import { dropUntrustedForwarding, earlyRefusal } from './lib/server/front-door.ts';
import { API_CSP } from './lib/server/guard.ts';
import { SERVED_BY_STUDIO_SERVER } from './lib/server/limits.ts';

const dev = process.argv.includes('--dev');

let env: Env;
try {
  env = getEnv();
} catch (error) {
  console.error(`[studio] ${(error as Error).message}`);
  process.exit(1);
}
const trusted = trustedProxies(env.ZIMAGE_TRUSTED_PROXIES);
/** How long, and how much, a refused body is read and dropped before the connection is cut. */
const DRAIN_MS = 10_000;
const DRAIN_BYTES = 64 * 1024 * 1024;

/** A refusal written straight to the socket, as the API's JSON error, for requests Node could not parse. */
function refuse(socket: Duplex, status: number, reason: string, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\nContent-Security-Policy: ${API_CSP}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}

function onClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
  } else if (error.code === 'HPE_HEADER_OVERFLOW') {
    refuse(
      socket,
      431,
      'Request Header Fields Too Large',
      'headers_too_large',
      `The request's headers are over ${Math.round(http.maxHeaderSize / 1024)} KB, the limit for every request. ` +
        'Send fewer or shorter headers (a cookie jar full of other sites\' cookies, for one).',
    );
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    refuse(socket, 408, 'Request Timeout', 'request_timeout', 'The request was not sent completely in time. Send it again.');
  } else {
    refuse(socket, 400, 'Bad Request', 'malformed_request', 'The request is not valid HTTP/1.1. Send it with an HTTP client (curl, fetch, an SDK).');
  }
}

// Next.js reads the environment itself (NODE_ENV, its .env files); `next start` sets production the same way.
(process.env as Record<string, string>).NODE_ENV ??= dev ? 'development' : 'production';
const app = next({ dev, hostname: env.HOST, port: env.PORT, dir: process.cwd() });
const handle = app.getRequestHandler();
(globalThis as Record<symbol, unknown>)[SERVED_BY_STUDIO_SERVER] = true;

const server = http.createServer((request, response) => {
  // Replaces whatever the client sent: from here on X-Forwarded-For is one address the limits can key on, and the
  // forwarded host and scheme (share links, Open Graph URLs, the session cookie's Secure) come from trusted proxies only.
  request.headers['x-forwarded-for'] = clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], trusted);
  dropUntrustedForwarding(request.headers, trusted(normalizeAddress(request.socket.remoteAddress ?? '')));
  const early = earlyRefusal(request.method ?? 'GET', request.url ?? '/', request.headers['content-length']);
  if (early) {
    const body = JSON.stringify(early.body);
    response.writeHead(early.status, {
      ...early.headers,
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      'Content-Security-Policy': API_CSP,
      'X-Content-Type-Options': 'nosniff',
    });
    // The whole answer goes out now, before any of the body is read. The exchange ends once the client has sent
    // the body (dropped unread) or after DRAIN_MS / DRAIN_BYTES: ending or closing it under a client that is still
    // uploading resets the connection, and the client could lose this answer before reading it.
    response.write(body);
    let drained = 0;
    const stop = setTimeout(() => request.destroy(), DRAIN_MS);
    request.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > DRAIN_BYTES) request.destroy();
    });
    request.on('end', () => response.end());
    request.on('close', () => clearTimeout(stop));
    return;
  }
  handle(request, response).catch((error: unknown) => {
    console.error(`[studio] request for ${request.url} failed:`, error);
    if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain' });
    response.end('Internal Server Error');
  });
});
server.on('clientError', onClientError);
// CONNECT never reaches the request handler; without a listener Node would drop the socket silently.
server.on('connect', (request: http.IncomingMessage, socket: Duplex) => {
  refuse(socket, 405, 'Method Not Allowed', 'method_not_allowed', 'CONNECT is not answered here: the studio is not a proxy.');
});

await app.prepare();
if (dev) {
  const upgrade = app.getUpgradeHandler();
  server.on('upgrade', (request, socket, head) => {
    upgrade(request, socket, head).catch(() => socket.destroy());
  });
}
server.listen(env.PORT, env.HOST, () => {
  const host = env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST;
  console.log(`[studio] serving on http://${host}:${env.PORT}${dev ? ' (development)' : ''}`);
});
