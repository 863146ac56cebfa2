// The one place that reads process.env: every server setting, parsed once with zod, with defaults that let
// `npm start` run on a fresh clone. Deliberately holds no client settings (the browser never sees these values)
// and reads nothing at import time, so `next build` does not need a configured environment.
import path from 'node:path';
import { z } from 'zod';

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
  /** Absolute origin used in share links and Open Graph tags behind a proxy; else taken from the request. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Jobs allowed to wait behind the running one; more are refused with 503 rather than queued for hours. */
  ZIMAGE_MAX_WAITING_JOBS: z.coerce.number().int().min(0).max(10_000).default(32),
});

export type Env = Omit<z.infer<typeof envSchema>, 'DATA_DIR' | 'WEIGHTS_DIR'> & {
  /** Absolute paths, resolved against the working directory once. */
  DATA_DIR: string;
  WEIGHTS_DIR: string;
};

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
