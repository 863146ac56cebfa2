// Where a graph's time can go, from an onnxruntime profile of it: per op type, the node count, the FLOPs and the
// bytes moved (from recorded shapes), and a roofline lower bound in ms (FLOPs at the H200's measured bf16 MatMul /
// MultiHeadAttention throughput, bytes at its measured elementwise bandwidth; shared/docs/gpu-host.md). The
// profile's own durations are host-side and deliberately ignored. Compare the bound's total with the measured wall
// time of the same graph (bench/ablate.ts) to see how much the non-GEMM passes cost beyond their bound.
//
//   node --import tsx bench/breakdown.ts PROFILE.json[.gz] [--runs N]   (N: runs the profile holds, to print per run)
import fs from 'node:fs';
import zlib from 'node:zlib';
import { nodeBytes, nodeFlops, parseProfile } from '../inference/runtime/census.ts';

const MATMUL_FLOPS = 793e12, MHA_FLOPS = 663e12, BANDWIDTH = 2.9e12; // measured on the H200 (gpu-host.md)
const file = process.argv[2];
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 1) || 1;
const raw = fs.readFileSync(file);
const nodes = parseProfile(JSON.parse((file.endsWith('.gz') ? zlib.gunzipSync(raw) : raw).toString()));
const rows = new Map<string, { n: number; flops: number; bytes: number; ms: number }>();
// views that onnxruntime makes without copying
const ALIASES = new Set(['Reshape', 'Unsqueeze', 'Squeeze', 'Flatten', 'Identity']);
for (const node of nodes) {
  const flops = nodeFlops(node), bytes = ALIASES.has(node.op) ? 0 : nodeBytes(node);
  const compute = node.op === 'MatMul' || node.op === 'Conv' ? flops / MATMUL_FLOPS : node.op === 'MultiHeadAttention' ? flops / MHA_FLOPS : 0;
  const r = rows.get(node.op) ?? { n: 0, flops: 0, bytes: 0, ms: 0 };
  r.n++; r.flops += flops; r.bytes += bytes; r.ms += 1000 * Math.max(compute, bytes / BANDWIDTH);
  rows.set(node.op, r);
}
const sorted = [...rows.entries()].sort((a, b) => b[1].ms - a[1].ms);
const total = sorted.reduce((s, [, r]) => s + r.ms, 0);
console.log(`| op | nodes | GFLOP | MB moved | bound ms | share |\n|---|---|---|---|---|---|`);
for (const [op, r] of sorted) {
  if (r.ms / total < 0.002) continue;
  console.log(`| ${op} | ${r.n / runs} | ${(r.flops / runs / 1e9).toFixed(0)} | ${(r.bytes / runs / 1e6).toFixed(0)} | ${(r.ms / runs).toFixed(2)} | ${((100 * r.ms) / total).toFixed(1)} % |`);
}
console.log(`| all | ${nodes.length / runs} | | | ${(total / runs).toFixed(2)} | |`);
