// Starts extra studio servers for the hardening specs: the build the Playwright web server made, served by the
// studio's server (dist/server.mjs, what `npm start` runs after building) on 127.0.0.1 and a free port, with its own DATA_DIR and the environment a spec needs, so a spec can
// set a token or tight limits, kill the process with SIGKILL and start it again on the same data. Also a raw HTTP
// client that sends paths, headers and bodies exactly as given (fetch would normalise or refuse many of them).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test } from '@playwright/test';
import { freePort } from '../../lib/free-port.ts';

const STUDIO_SERVER = path.resolve('dist/server.mjs');


export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface RawRequest {
  method?: string;
  /** Sent as is: not normalised, not re-encoded. */
  path: string;
  headers?: Record<string, string>;
  /** A string or bytes (with Content-Length), or a generator of chunks (chunked, no Content-Length). */
  body?: string | Uint8Array | (() => Iterable<Uint8Array>);
}

export function rawRequest(baseURL: string, request: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(baseURL);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: `${hostname}:${port}`, ...request.headers };
    const body = request.body;
    if (typeof body === 'string' || body instanceof Uint8Array) headers['content-length'] ??= String(Buffer.byteLength(body));
    const req = http.request({ host: hostname, port, method: request.method ?? 'GET', path: request.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const all = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: all, text: all.toString('utf8') });
      });
      res.on('error', reject);
    });
    // A server may answer (413) and close before the whole body is sent; the answer is what counts.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    if (typeof body === 'function') {
      for (const chunk of body()) if (!req.write(chunk)) break;
      req.end();
    } else {
      req.end(body);
    }
  });
}

export interface StudioServer {
  baseURL: string;
  port: number;
  dataDir: string;
  process: ChildProcess;
  /** Everything the server printed so far. */
  log: () => string;
  /** Resolves with the exit code, or the signal's name. */
  exited: Promise<number | string>;
  kill: (signal?: NodeJS.Signals) => Promise<number | string>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Reuse a data folder (a restart); a fresh temp folder otherwise. */
  dataDir?: string;
  /** Credentials for the readiness probe, when the server requires its token. */
  token?: string;
  /** Resolve as soon as the process exits instead of waiting for it to serve (for a server that must refuse). */
  expectExit?: boolean;
  /** Serve on this port (a restart that a page already open must find again); a free one otherwise. */
  port?: number;
}

/**
 * A `start` for one spec file: every server it starts is killed, and its data folder removed, after the file's last
 * test (call at the top level of the spec).
 */
export function startsStudios(): (options?: StartOptions) => Promise<StudioServer> {
  const servers: StudioServer[] = [];
  test.afterAll(async () => {
    for (const server of servers) {
      await server.kill();
      fs.rmSync(server.dataDir, { recursive: true, force: true });
    }
  });
  return async (options) => {
    const server = await startStudio(options);
    servers.push(server);
    return server;
  };
}

export async function startStudio(options: StartOptions = {}): Promise<StudioServer> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-hardening-'));
  // The tiny model made by the Playwright web server, shared read-only, so no server here waits to make it again.
  const weightsDir = path.join(process.env.E2E_ROOT!, 'weights');
  const child = spawn(process.execPath, [STUDIO_SERVER], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      WEIGHTS_DIR: weightsDir,
      ZIMAGE_EP: 'cpu',
      NEXT_TELEMETRY_DISABLED: '1',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)));
  const baseURL = `http://127.0.0.1:${port}`;
  const server: StudioServer = {
    baseURL,
    port,
    dataDir,
    process: child,
    log: () => output,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  if (options.expectExit) {
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 60_000))]);
    return server;
  }
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The studio exited before serving:\n${output}`);
    const ready = await rawRequest(baseURL, { path: '/api/system', headers }).then((response) => response.status === 200, () => false);
    if (ready) return server;
    if (Date.now() > deadline) {
      await server.kill('SIGKILL');
      throw new Error(`The studio did not serve within 90 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The message of a refusal: the API's JSON error message, or the text of the HTML page for a page path. */
export function refusalMessage(response: RawResponse): string {
  const type = String(response.headers['content-type'] ?? '');
  if (type.startsWith('application/json')) {
    const parsed = JSON.parse(response.text) as { error?: { message?: unknown } };
    return typeof parsed.error?.message === 'string' ? parsed.error.message : '';
  }
  return response.text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
}
