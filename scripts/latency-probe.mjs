// How responsive a running studio stays while it generates: samples GET /api/system every --interval ms while one
// job runs, then prints the latency's max and p95 during the job (and while idle, before it). For checking that the
// engine's CPU work (denoising, decode, pixel conversion, PNG encoding) does not stall the server's HTTP answers.
// Deliberately plain Node and the public HTTP API only; it asserts nothing, the numbers are for people.
//
//   node scripts/latency-probe.mjs [--url http://127.0.0.1:3000] [--size 1024] [--steps 8] [--interval 50]
//
// ZIMAGE_API_TOKEN, when set, is sent as the bearer token.
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:3000' },
    size: { type: 'string', default: '1024' },
    steps: { type: 'string', default: '8' },
    interval: { type: 'string', default: '50' },
  },
});
const headers = { 'Content-Type': 'application/json' };
if (process.env.ZIMAGE_API_TOKEN) headers.Authorization = `Bearer ${process.env.ZIMAGE_API_TOKEN}`;
const interval = Number(values.interval);

/** One GET on a fresh connection (no keep-alive: a reused socket the server closes while stalled reads as ECONNRESET). */
function sample() {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.get(`${values.url}/api/system`, { headers, agent: false }, (response) => {
      response.resume();
      response.on('end', () => {
        if (response.statusCode !== 200) reject(new Error(`/api/system answered ${response.statusCode}`));
        else resolve(performance.now() - started);
      });
    });
    request.on('error', reject);
  });
}

/** Samples back to back (one in flight at a time, `interval` ms apart) until `done()` says stop. */
async function sampleWhile(done) {
  const latencies = [];
  while (!done()) {
    latencies.push(await sample());
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  return latencies;
}

function summary(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return `n=${sorted.length} median=${at(0.5).toFixed(1)} ms p95=${at(0.95).toFixed(1)} ms max=${sorted.at(-1).toFixed(1)} ms`;
}

await sample(); // warm the route
const idleUntil = performance.now() + 2000;
const idle = await sampleWhile(() => performance.now() > idleUntil);

const size = Number(values.size);
const body = { prompt: 'latency probe', steps: Number(values.steps), cfg: 1, width: size, height: size, seed: 1 };
const submitted = await fetch(`${values.url}/api/generate`, { method: 'POST', headers, body: JSON.stringify(body) });
const { id, error } = await submitted.json();
if (!submitted.ok) throw new Error(`POST /api/generate: ${submitted.status} ${error?.code}: ${error?.message}`);

let status = 'queued';
const poller = (async () => {
  while (status === 'queued' || status === 'running') {
    const { job } = await (await fetch(`${values.url}/api/jobs/${id}`, { headers })).json();
    status = job.status;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
})();
const started = performance.now();
const during = await sampleWhile(() => status !== 'queued' && status !== 'running');
await poller;
const seconds = ((performance.now() - started) / 1000).toFixed(1);

console.log(`idle:   ${summary(idle)}`);
console.log(`during: ${summary(during)} (job ${status} in ${seconds} s, ${size}x${size}, ${values.steps} steps)`);
