// The one place that reads process.env: every server setting, parsed once with zod, with defaults that let
// `npm start` run on a fresh clone. Deliberately holds no client settings (the browser never sees these values)
// and reads nothing at import time, so `next build` does not need a configured environment.
import path from 'node:path';
import { z } from 'zod';
import { ortConfigEntries, type OrtOptions } from '../inference/runtime/ort-options.ts';
import { parseProxyEntry } from './server/client-address.ts';

const portSchema = z.coerce.number().int().min(1).max(65535);

const envSchema = z.object({
  /** History database and image files live here; created on first use. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** Converted models: weights/<model>/<precision>/manifest.json. The tiny demo model is created here if absent. */
  WEIGHTS_DIR: z.string().min(1).default('./weights'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: portSchema.default(3000),
  /** 'auto' takes CUDA when onnxruntime-node can load it, else the CPU. */
  ZIMAGE_EP: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
  /**
   * Engine, for measuring and tuning: onnxruntime session config entries, `key=value,…` (e.g.
   * session.use_device_allocator_for_initializers=1). Passed to the engine as options (inference/ reads no env).
   */
  ZIMAGE_ORT_CONFIG: z
    .string()
    .transform((value, context) => {
      try {
        return ortConfigEntries(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: `${(error as Error).message}; ${(error as { hint?: string }).hint ?? ''}`.trim() });
        return z.NEVER;
      }
    })
    .optional(),
  /** Engine, for measuring: 1 or 0 forces onnxruntime's memory pattern on or off (default: off on CUDA, on on the CPU). */
  ZIMAGE_ORT_MEM_PATTERN: z
    .enum(['0', '1'], { error: 'must be 1 or 0 (unset: off on CUDA, on on the CPU)' })
    .transform((value) => value === '1')
    .optional(),
  /** Absolute origin used in share links and Open Graph tags behind a proxy; else taken from the request. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Jobs allowed to wait behind the running one; more are refused rather than queued for hours. */
  ZIMAGE_MAX_WAITING_JOBS: z.coerce.number().int().min(0).max(10_000).default(32),
  /**
   * The shared secret for API clients (`Authorization: Bearer <token>`) and the browser's sign-in page. Required when
   * the studio is reachable from other machines (HOST or PUBLIC_URL not loopback); when set, it is required always.
   */
  ZIMAGE_API_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters; make one with `openssl rand -hex 16`')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (it travels in an HTTP header)')
    .optional(),
  /** 1 serves a non-loopback bind without a token, with a loud warning at start: anyone who can reach it can use it. */
  ZIMAGE_ALLOW_OPEN: z
    .enum(['0', '1', 'false', 'true'], { error: 'must be 1 or 0' })
    .transform((value) => value === '1' || value === 'true')
    .default(false),
  /** API requests per minute per client (a token bucket: this many at once, refilled over a minute). */
  ZIMAGE_RATE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(600),
  /** Generation requests (studio, OpenAI and A1111 routes) per minute per client, within ZIMAGE_RATE_LIMIT. */
  ZIMAGE_GENERATE_RATE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(30),
  /**
   * Reverse proxies whose X-Forwarded-For is believed: addresses or CIDR ranges, comma-separated. A request from one
   * of them counts as coming from the right-most X-Forwarded-For hop that is not one of them; every other request
   * counts as coming from its TCP peer, whatever X-Forwarded-For it sends. Empty: no proxy is trusted.
   */
  ZIMAGE_TRUSTED_PROXIES: z
    .string()
    .transform((value, context) => {
      const entries = value.split(/[\s,]+/).filter(Boolean);
      for (const entry of entries) {
        const parsed = parseProxyEntry(entry);
        if (parsed instanceof Error) context.addIssue({ code: 'custom', message: `${parsed.message}; list addresses or ranges, e.g. 127.0.0.1,10.0.0.0/8` });
      }
      return entries;
    })
    .default([]),
  /** Job event streams (SSE) open at once, all clients together; a quarter of it (at least 1) per client. */
  ZIMAGE_MAX_EVENT_STREAMS: z.coerce.number().int().min(1).max(100_000).default(64),
  // --- Scaling out (README, "Scaling out"): a Redis-backed queue in front of GPU workers ---
  /** Unset: the in-process queue (one process, no Redis). Set: jobs go to BullMQ on this Redis; `npm run worker` runs them. */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379' }).optional(),
  /** Prefix of every Redis key, so several studios can share one Redis. */
  ZIMAGE_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1–40 letters, digits, _ or -').default('zimage'),
  /** Tries per job on the Redis queue (a worker killed mid-job counts as one) before it fails for good. */
  ZIMAGE_JOB_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  /** Worker: the CUDA device it runs on (one worker, one GPU; several workers may share one). */
  ZIMAGE_DEVICE: z.coerce.number().int().min(0).max(63).default(0),
  /** Worker: the model (folder under WEIGHTS_DIR) it serves; default the first real model, else the trained demo, else the tiny one. */
  ZIMAGE_WORKER_MODEL: z.string().regex(/^[^/\\]+$/, 'must be a folder name under WEIGHTS_DIR').optional(),
  /** Worker: the precision it serves; default the best this machine runs for that model (bf16 on a GPU). */
  ZIMAGE_WORKER_PRECISION: z.enum(['bf16', 'fp16', 'fp16-safe', 'fp32']).optional(),
  /** Worker: its name in job snapshots and /api/system; unique per worker. Default host/gpu<device>/<pid>. */
  ZIMAGE_WORKER_NAME: z.string().regex(/^[\x21-\x7e]{1,100}$/, 'must be 1–100 printable characters without spaces').optional(),
  /** Worker: ms a job stays taken without a sign of life from its worker before another worker takes it over. */
  ZIMAGE_JOB_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
});

export type Env = Omit<z.infer<typeof envSchema>, 'DATA_DIR' | 'WEIGHTS_DIR'> & {
  /** Absolute paths, resolved against the working directory once. */
  DATA_DIR: string;
  WEIGHTS_DIR: string;
};

/** The engine's onnxruntime settings from ZIMAGE_ORT_CONFIG and ZIMAGE_ORT_MEM_PATTERN. */
export function ortOptions(env: Pick<Env, 'ZIMAGE_ORT_CONFIG' | 'ZIMAGE_ORT_MEM_PATTERN'>): OrtOptions {
  const options: OrtOptions = {};
  if (env.ZIMAGE_ORT_CONFIG) options.config = env.ZIMAGE_ORT_CONFIG;
  if (env.ZIMAGE_ORT_MEM_PATTERN !== undefined) options.memPattern = env.ZIMAGE_ORT_MEM_PATTERN;
  return options;
}

let parsed: Env | undefined;

/** Parses the environment on first call; throws one error naming every bad variable and how to fix it. */
export function getEnv(source: NodeJS.ProcessEnv = process.env): Env {
  if (parsed && source === process.env) return parsed;
  // Empty strings come from `FOO= npm start`; treat them as unset so the default applies.
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const result = envSchema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return `${name}=${JSON.stringify(source[name])}: ${issue.message}`;
    });
    throw new Error(
      `Invalid environment: ${problems.join('; ')}. Fix or unset these variables ` +
        '(defaults: DATA_DIR=./data, WEIGHTS_DIR=./weights, HOST=127.0.0.1, PORT=3000, ZIMAGE_EP=auto).',
    );
  }
  const env: Env = {
    ...result.data,
    DATA_DIR: path.resolve(result.data.DATA_DIR),
    WEIGHTS_DIR: path.resolve(result.data.WEIGHTS_DIR),
  };
  if (source === process.env) parsed = env;
  return env;
}
