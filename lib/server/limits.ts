// Per-client limits that keep one client from starving the others or the server's memory: a token-bucket rate
// limiter and a gate that counts open event streams. Both hold a bounded number of clients, so a flood of distinct
// client addresses costs a fixed amount of memory. Deliberately in-process and approximate: a restart forgets them.

/**
 * Set on globalThis by server.ts, which overwrites X-Forwarded-For with the client's address before Next.js sees a
 * request. Without it (`next start` run by hand) the header is whatever the client sent, and proxy.ts says so.
 */
export const SERVED_BY_STUDIO_SERVER = Symbol.for('zimage-studio.served-by-studio-server');

/** The client address server.ts puts in x-forwarded-for (lib/server/client-address.ts decides which one). */
export function clientKey(headers: Headers): string {
  const first = headers.get('x-forwarded-for')?.split(',')[0]?.trim().toLowerCase() ?? '';
  return first.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '').slice(0, 64) || 'unknown';
}

interface Bucket {
  tokens: number;
  at: number;
}

/** `perMinute` requests at once, refilled continuously over a minute. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perMinute: number,
    private readonly maxClients = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request from the client's bucket: 0 when allowed, else the whole seconds until one is. */
  take(key: string): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + ((now - bucket.at) * this.perMinute) / 60_000);
    bucket.at = now;
    // Re-inserting keeps the Map in least-recently-used order, so the eviction below drops idle clients first.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxClients) this.buckets.delete(this.buckets.keys().next().value!);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - bucket.tokens) * 60) / this.perMinute));
  }
}

export type GateRefusal = 'client' | 'total';

/** Counts open streams per client and in total; `enter` hands back the release or says which limit refused. */
export class StreamGate {
  private readonly open = new Map<string, number>();
  private total = 0;

  constructor(
    readonly maxTotal: number,
    readonly maxPerClient: number,
  ) {}

  enter(key: string): { release: () => void } | { refused: GateRefusal } {
    if (this.total >= this.maxTotal) return { refused: 'total' };
    const mine = this.open.get(key) ?? 0;
    if (mine >= this.maxPerClient) return { refused: 'client' };
    this.open.set(key, mine + 1);
    this.total++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    };
    return { release };
  }

  get size(): number {
    return this.total;
  }
}
