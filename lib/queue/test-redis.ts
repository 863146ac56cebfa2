// Test support: a throwaway Debian redis-server on a free 127.0.0.1 port, stopped (or crashed on purpose) by the
// test. No snapshots and no append-only file unless a test asks for one in its own temp folder (to show that queued
// jobs survive a Redis restart). Deliberately never touches any other address or an already running Redis.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../free-port.ts';

/** The redis-server binary, or null; on CI (CI set) a missing one is an error, not a skip. */
export function findRedisServer(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  if (process.env.CI) throw new Error('redis-server is missing on CI: apt-get install -y redis-server');
  return null;
}

/** Why the Redis tests are skipped here, or false when they run. */
export const skipWithoutRedis: string | false = findRedisServer() ? false : 'redis-server is not installed (apt-get install -y redis-server)';


/** Servers still running when the test process exits (a failed assertion, a crash) are killed with it. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class TestRedis {
  readonly port: number;
  readonly dir: string;
  private readonly persist: boolean;
  private child: ChildProcess | null = null;

  private constructor(port: number, dir: string, persist: boolean) {
    this.port = port;
    this.dir = dir;
    this.persist = persist;
  }

  /** `persist`: append-only file fsynced on every write, in a temp folder, so a killed Redis restarts with its data. */
  static async start(options: { persist?: boolean } = {}): Promise<TestRedis> {
    const redis = new TestRedis(await freePort(), fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-redis-')), Boolean(options.persist));
    await redis.launch();
    return redis;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', ''];
    args.push(...(this.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
    const child = spawn(findRedisServer()!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    return new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start in 10 s:\n${output}`)), 10_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /** Redis crashing or the network cutting it off, as clients see it: connections refused. */
  kill(): Promise<void> {
    return this.end('SIGKILL');
  }

  /** The same port and folder again (with persist, the same data). */
  restart(): Promise<void> {
    return this.launch();
  }

  async stop(): Promise<void> {
    await this.end('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
