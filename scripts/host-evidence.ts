// The HTTP half of bench/studio-host.sh: drives a running studio through its public API only and writes what
// issues 5 (BF16 vs FP16, with the precision proved) and 7 (memory flat over many generations) ask for. Bundled by
// `npm run pack:host` into evidence.mjs, so the GPU host runs it with node alone. Deliberately starts and stops
// nothing (the shell script owns the processes) and never reads the studio's files: only what the API answers.
//
//   node evidence.mjs wait --url U [--workers N] [--watch PID,PID] [--timeout 90] [--out DIR]
//       until GET /api/system answers (and lists N live workers); fails at once when a watched process exits
//   node evidence.mjs jobs --url U --out DIR --model M --precisions bf16,fp16 [--compare bf16,fp16] [--series 20]
//       [--size 1024] [--steps 8] [--seed 42] [--pid SERVER_PID] [--timeout 600] [--job-timeout 300] [--publish DIR]
//       one job in the first precision, then --series more of it in a row (memory after each; each with its own
//       seed and prompt so every phase runs), then the first job's request in each other precision, then
//       POST /api/comparisons on the first result; writes system.json, result-<precision>.json, <precision>.png,
//       compare.json, memory-series.csv, memory-series.json (the JSON and CSV also into --publish as soon as they
//       exist) and prints the memory verdicts
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decode } from 'fast-png';
import { blackFraction, diffStats } from '../lib/compare-metrics.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:3000' },
    out: { type: 'string', default: '.' },
    publish: { type: 'string' },
    model: { type: 'string' },
    precisions: { type: 'string', default: 'bf16,fp16' },
    series: { type: 'string', default: '20' },
    size: { type: 'string', default: '1024' },
    steps: { type: 'string', default: '8' },
    seed: { type: 'string', default: '42' },
    pid: { type: 'string' },
    compare: { type: 'string' },
    workers: { type: 'string', default: '0' },
    watch: { type: 'string', default: '' },
    timeout: { type: 'string', default: '600' },
    'job-timeout': { type: 'string', default: '300' },
  },
});

const deadline = Date.now() + Number(values.timeout) * 1000;
const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function timeLeft(what: string, until = deadline): number {
  const left = until - Date.now();
  if (left <= 0) throw new Error(`timed out ${what}`);
  return left;
}

type Json = Record<string, any>;

async function call(pathname: string, init: { method?: string; body?: unknown } = {}): Promise<Json> {
  const response = await fetch(`${values.url}${pathname}`, {
    method: init.method ?? 'GET',
    headers: { 'Content-Type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(Math.min(60_000, timeLeft(`calling ${pathname}`))),
  });
  const body = (await response.json()) as Json;
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${pathname}: ${response.status} ${body.error?.code}: ${body.error?.message}`);
  return body;
}

async function bytes(pathname: string): Promise<Uint8Array> {
  const response = await fetch(`${values.url}${pathname}`, { signal: AbortSignal.timeout(Math.min(60_000, timeLeft(`fetching ${pathname}`))) });
  if (!response.ok) throw new Error(`GET ${pathname}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Polls GET /api/jobs/:id until the job ends; throws with the job's error when it did not succeed. */
async function finish(id: string): Promise<Json> {
  const until = Math.min(deadline, Date.now() + Number(values['job-timeout']) * 1000);
  for (;;) {
    const { job } = await call(`/api/jobs/${id}`);
    if (job.status === 'succeeded') return job;
    if (job.status === 'failed' || job.status === 'canceled') throw new Error(`job ${id} ${job.status}: ${JSON.stringify(job.error ?? null)}`);
    timeLeft(`waiting for job ${id} (${job.status}${job.progress ? `, ${JSON.stringify(job.progress)}` : ''})`, until);
    await sleep(250);
  }
}

/** nvidia-smi's view right after a generation: the server process's MiB and the device's used MiB (null without a GPU). */
function smiMemory(pid: number | undefined): { processMiB: number | null; deviceUsedMiB: number | null; deviceTotalMiB: number | null } {
  const query = (args: string[]) => {
    try {
      return execFileSync('nvidia-smi', [...args, '--format=csv,noheader,nounits'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return null;
    }
  };
  const apps = query(['--query-compute-apps=pid,used_memory']);
  const gpu = query(['--query-gpu=memory.used,memory.total']);
  const mine = apps?.trim().split('\n').map((line) => line.split(',').map((part) => Number(part.trim()))).find(([p]) => p === pid);
  const [used, total] = gpu ? gpu.trim().split('\n')[0].split(',').map((part) => Number(part.trim())) : [NaN, NaN];
  return { processMiB: mine ? mine[1] : null, deviceUsedMiB: Number.isFinite(used) ? used : null, deviceTotalMiB: Number.isFinite(total) ? total : null };
}

/** The server's resident set (/proc), the CPU run's stand-in for VRAM. */
function rssMiB(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

/** Into --out; the deliverables also into --publish at once, so a run killed later still leaves them there. */
function write(name: string, content: string | Uint8Array): void {
  fs.writeFileSync(path.join(values.out, name), content);
  if (values.publish && /^(result-.*\.json|compare\.json|memory-series\.(csv|json))$/.test(name)) fs.writeFileSync(path.join(values.publish, name), content);
}

/** Least-squares slope of ys over 0..n-1. */
function slope(ys: number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = ys.reduce((sum, y) => sum + y, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

/**
 * Flat or growing, from one reading after each generation of the series, with a fixed 64 MiB tolerance (onnxruntime's
 * arena grows in chunks; a leak of one 1024² fp32 image per generation is 12 MiB, 240 MiB over 20). FLAT: the whole
 * range within it. GROWING: up by more than that and still rising over the second half. SETTLED: a step early on,
 * then flat over the second half. Anything else VARIES. The numbers always come with the word.
 */
function memoryVerdict(label: string, ys: number[]): { verdict: 'flat' | 'growing' | 'settled' | 'varies' | 'unmeasured'; line: string } {
  if (ys.length < 2) return { verdict: 'unmeasured', line: `${label}: fewer than 2 readings, no verdict` };
  const tolerance = 64;
  const range = (values: number[]) => Math.max(...values) - Math.min(...values);
  const second = ys.slice(Math.floor(ys.length / 2));
  const numbers =
    `first ${ys[0]} MiB, last ${ys[ys.length - 1]} MiB, min ${Math.min(...ys)}, max ${Math.max(...ys)}, ` +
    `slope ${signed(slope(ys))} MiB/generation (second half ${signed(slope(second))}) over ${ys.length} generations, tolerance ${tolerance} MiB`;
  if (range(ys) <= tolerance) return { verdict: 'flat', line: `${label} FLAT: ${numbers}` };
  // Readings are whole MiB and do not move at all when nothing is allocated: half a MiB per generation is a trend.
  if (ys[ys.length - 1] > ys[0] + tolerance && slope(second) >= 0.5) return { verdict: 'growing', line: `${label} GROWING: ${numbers}` };
  if (range(second) <= tolerance && Math.abs(slope(second)) < 0.5) return { verdict: 'settled', line: `${label} SETTLED (a step early, then flat over the second half): ${numbers}` };
  return { verdict: 'varies', line: `${label} VARIES (neither flat nor steadily growing): ${numbers}` };
}

const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;

async function waitReady(): Promise<void> {
  const workers = Number(values.workers);
  let last = 'no answer yet';
  for (;;) {
    try {
      const system = await call('/api/system');
      const live = system.queue?.workers?.length ?? 0;
      if (live >= workers) {
        log(`ready: ${system.system?.node}, onnxruntime ${system.system?.onnxruntime}, EPs ${system.system?.eps?.join(',')}, models ${system.models?.map((m: Json) => `${m.id}[${m.precisions.join(',')}]`).join(' ')}${workers ? `, ${live} worker(s)` : ''}`);
        if (values.out !== '.') write('system.json', `${JSON.stringify(system, null, 2)}\n`);
        return;
      }
      last = `${live} of ${workers} workers`;
    } catch (error) {
      last = (error as Error).message;
      if (/timed out/.test(last)) throw error;
    }
    for (const pid of values.watch.split(',').filter(Boolean).map(Number)) {
      try {
        process.kill(pid, 0);
      } catch {
        throw new Error(`process ${pid} exited while waiting for ${values.url} (${last}); see its log`);
      }
    }
    timeLeft(`waiting for ${values.url} (${last})`);
    await sleep(500);
  }
}

/** result-<precision>.json (the job and its full record, with the wall time) and <precision>.png. */
async function save(precision: string, run: { job: Json; result: Json; wallMs: number }): Promise<void> {
  write(`result-${precision}.json`, `${JSON.stringify({ wallMs: run.wallMs, job: run.job, result: run.result }, null, 2)}\n`);
  write(`${precision}.png`, await bytes(`/api/results/${run.result.id}/image.png`));
}

async function jobs(): Promise<void> {
  fs.mkdirSync(values.out, { recursive: true });
  const precisions = values.precisions.split(',').filter(Boolean);
  const pid = values.pid ? Number(values.pid) : undefined;
  const size = Number(values.size);
  const settings = {
    prompt: 'portrait of a violinist by a window, soft light, 85 mm',
    steps: Number(values.steps),
    cfg: 1,
    width: size,
    height: size,
    seed: Number(values.seed),
    ...(values.model ? { model: values.model } : {}),
  };
  const system = await call('/api/system');
  write('system.json', `${JSON.stringify(system, null, 2)}\n`);

  const generate = async (precision: string, label: string, variant = 0) => {
    const started = Date.now();
    const body = variant ? { ...settings, prompt: `${settings.prompt}, take ${variant}`, seed: settings.seed + variant } : settings;
    const submitted = await call('/api/generate', { method: 'POST', body: { ...body, precision } });
    const job = await finish(submitted.id);
    const { result } = await call(`/api/results/${job.output.id}`);
    const wallMs = Date.now() - started;
    log(`${label}: ${precision} ${result.id} in ${wallMs} ms (engine ${Math.round(result.timings?.total ?? NaN)} ms, ` +
      `verdict "${result.census?.verdict?.text}", memory ${JSON.stringify(result.memory ?? null)})`);
    return { job, result, wallMs };
  };

  // 1. The first precision, once: sessions load here (the load time is in this job's wall time).
  const [first, ...others] = precisions;
  const runs: Record<string, { job: Json; result: Json; wallMs: number }> = {};
  runs[first] = await generate(first, 'job 1');
  await save(first, runs[first]);

  // 2. The series, straight after, while the same sessions stay loaded: memory after each generation.
  const series: Json[] = [];
  for (let index = 1; index <= Number(values.series); index++) {
    const { result, wallMs } = await generate(first, `series ${index}/${values.series}`, index);
    series.push({
      index,
      resultId: result.id,
      wallMs,
      engineMs: Math.round(result.timings?.total ?? NaN),
      denoiseMs: Math.round(result.timings?.denoise ?? NaN),
      recordPeakMiB: result.memory?.peakMiB ?? null,
      recordAfterMiB: result.memory?.afterMiB ?? null,
      recordScope: result.memory?.scope ?? null,
      ...smiMemory(pid),
      serverRssMiB: rssMiB(pid),
    });
  }
  const columns = ['index', 'resultId', 'wallMs', 'engineMs', 'denoiseMs', 'recordPeakMiB', 'recordAfterMiB', 'recordScope', 'processMiB', 'deviceUsedMiB', 'deviceTotalMiB', 'serverRssMiB'];
  write('memory-series.csv', [columns.join(','), ...series.map((row) => columns.map((column) => row[column] ?? '').join(','))].join('\n') + '\n');
  const pick = (key: string) => series.map((row) => row[key]).filter((value): value is number => typeof value === 'number');
  const verdicts = [
    memoryVerdict('VRAM (nvidia-smi, server process)', pick('processMiB')),
    memoryVerdict('VRAM (nvidia-smi, whole device)', pick('deviceUsedMiB')),
    memoryVerdict("VRAM (the record's afterMiB)", pick('recordAfterMiB')),
    memoryVerdict("VRAM (the record's peakMiB)", pick('recordPeakMiB')),
    memoryVerdict('server RSS (host memory)', pick('serverRssMiB')),
  ].filter((entry) => entry.verdict !== 'unmeasured');
  write('memory-series.json', `${JSON.stringify({ precision: first, settings, series, verdicts }, null, 2)}\n`);
  for (const entry of verdicts) log(entry.line);

  // 3. Every other precision, the very same request. A job that fails (fp16 overflowing, say) is evidence too: its
  //    error is the record, and the run goes on.
  for (const precision of others) {
    try {
      runs[precision] = await generate(precision, 'job');
      await save(precision, runs[precision]);
    } catch (error) {
      log(`job: ${precision} FAILED: ${(error as Error).message}`);
      write(`result-${precision}.json`, `${JSON.stringify({ error: (error as Error).message }, null, 2)}\n`);
      if (/timed out/.test((error as Error).message)) throw error;
    }
  }

  // 4. The comparison view of the first result, through its API; its jobs run like any other.
  const compared = (values.compare ?? values.precisions).split(',').filter(Boolean);
  const created = await call('/api/comparisons', { method: 'POST', body: { resultId: runs[first].result.id, precisions: compared } });
  let view: Json;
  for (;;) {
    ({ comparison: view } = await call(`/api/comparisons/${created.comparison.id}`));
    if (view.settled) break;
    timeLeft('waiting for the comparison to settle');
    await sleep(500);
  }
  // The numbers the /c/ page computes in the browser, from the PNGs the API serves.
  const pixels: Record<string, { data: ArrayLike<number>; channels: 3 | 4 }> = {};
  const columnsOut: Json[] = [];
  for (const column of view.columns) {
    const resultId = column.resultId ?? column.result?.id;
    if (column.state === 'result' && resultId) {
      const image = decode(await bytes(`/api/results/${resultId}/image.png?meta=0`));
      pixels[column.precision] = { data: image.data, channels: image.channels as 3 | 4 };
      columnsOut.push({ precision: column.precision, resultId, blackFraction: blackFraction(image.data, image.channels as 3 | 4) });
    } else columnsOut.push({ precision: column.precision, state: column.state, reason: column.reason ?? column.error ?? null });
  }
  const ran = Object.keys(pixels);
  const diff = ran.length >= 2 ? { a: ran[0], b: ran[1], ...diffStats(pixels[ran[0]].data, pixels[ran[1]].data, pixels[ran[0]].channels) } : null;
  if (diff && !Number.isFinite(diff.psnr)) (diff as Json).psnr = 'Infinity (identical)';
  write('compare.json', `${JSON.stringify({ created, view, pixels: columnsOut, diff }, null, 2)}\n`);
  log(`comparison ${created.url}: ${columnsOut.map((c) => `${c.precision}=${c.resultId ?? c.state}`).join(', ')}${diff ? `; ${diff.a} vs ${diff.b}: PSNR ${typeof diff.psnr === 'number' ? diff.psnr.toFixed(2) : diff.psnr} dB, max |Δ| ${diff.maxAbs}, mean |Δ| ${diff.meanAbs.toFixed(3)}` : ''}`);
}

const command = positionals[0];
const main = command === 'wait' ? waitReady : command === 'jobs' ? jobs : undefined;
if (!main) {
  console.error('usage: node evidence.mjs wait|jobs [options] (see the header of scripts/host-evidence.ts)');
  process.exit(2);
}
main().catch((error: unknown) => {
  console.error(`evidence: ${(error as Error).message}`);
  process.exit(1);
});
