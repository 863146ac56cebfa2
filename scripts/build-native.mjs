#!/usr/bin/env node
// `npm run build:native` (and the install hook): builds the native onnxruntime session addon (native/addon.cc,
// issue 20) with node-gyp where a C++ compiler exists. Optional by design: without a compiler, python3 or the
// header package it says so and exits 0 (onnxruntime-node stays the default path); --strict makes that an error.
// It deliberately builds no CUDA code (the fused kernels are `npm run setup:gpu`'s, with nvcc) and downloads
// nothing when Node's own headers are installed (they are passed as --nodedir).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const strict = process.argv.includes('--strict');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dir = path.join(root, 'native');

function skip(why, fix) {
  const text = `build:native: ${why}; the native session is not built (${fix})`;
  if (strict) { console.error(text); process.exit(1); }
  console.log(`${text}. onnxruntime-node's session is unaffected.`);
  process.exit(0);
}

if (process.env.ZIMAGE_SKIP_NATIVE === '1') skip('ZIMAGE_SKIP_NATIVE=1', 'unset it and run npm run build:native');
const cxx = process.env.CXX || 'c++';
if (spawnSync(cxx, ['--version']).status !== 0) skip(`no C++ compiler (${cxx})`, 'install g++ and make, then npm run build:native');
if (spawnSync('python3', ['--version']).status !== 0) skip('no python3 (node-gyp needs it)', 'install python3, then npm run build:native');
try {
  require.resolve('com.github.asus4.onnxruntime/package.json');
} catch {
  skip('the onnxruntime headers package com.github.asus4.onnxruntime@0.4.9 (optional dependency) is not installed', 'npm install');
}
const gyp = process.env.npm_config_node_gyp
  || [path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')].find((f) => fs.existsSync(f));
if (!gyp) skip('node-gyp (bundled with npm) was not found', 'run it through npm: npm run build:native');
const nodedir = path.resolve(path.dirname(process.execPath), '..');
const args = [gyp, 'rebuild', '--directory', dir];
if (fs.existsSync(path.join(nodedir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodedir}`);
const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  console.error(`${r.stdout}${r.stderr}\nbuild:native: node-gyp failed (output above)`);
  process.exit(strict ? 1 : 0);
}
console.log(`build:native: built ${path.join(dir, 'build', 'Release', 'zimage_ort.node')}`);
