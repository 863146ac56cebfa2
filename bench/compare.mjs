// Merges the two benchmark JSONs of one run (ours and the PyTorch reference) into bench/results/<date>.json with
// the ratio ours/PyTorch for every measure, and prints the Markdown table for the README.
//   node bench/compare.mjs OURS.json TORCH.json ENV.json OUT.json
import fs from 'node:fs';

const [oursFile, torchFile, envFile, outFile] = process.argv.slice(2);
const ours = JSON.parse(fs.readFileSync(oursFile, 'utf8'));
const ref = JSON.parse(fs.readFileSync(torchFile, 'utf8'));
const env = JSON.parse(fs.readFileSync(envFile, 'utf8'));
const rows = [['session load', 'load_ms']];
for (const mode of ['cfg_off', 'cfg_on']) {
  for (const k of ['encode_ms', 'dit_ms_per_step', 'decode_ms', 'image_ms', 'total_ms', 'peak_vram_mib']) rows.push([`${mode} ${k}`, `${mode}.${k}`]);
}
const get = (o, p) => p.split('.').reduce((x, k) => x?.[k], o);
const table = rows.map(([label, p]) => ({ measure: label, ours: get(ours, p), pytorch: get(ref, p), ratio: get(ours, p) / get(ref, p) }));
const result = { date: new Date().toISOString(), ...env, ours, pytorch: ref, table };
fs.writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
const fmt = (v) => (typeof v === 'number' ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '—');
console.log('| measure | ours | PyTorch eager | ours/PyTorch |\n|---|---|---|---|');
for (const r of table) console.log(`| ${r.measure} | ${fmt(r.ours)} | ${fmt(r.pytorch)} | ${Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : '—'} |`);
