#!/usr/bin/env node
// `npm run setup:gpu`: installs onnxruntime's CUDA execution provider next to onnxruntime-node's core library, the
// build that matches the driver's CUDA version, then loads the CUDA EP once and says what it found or exactly
// what is missing. Idempotent: an installed provider is kept (use --force to reinstall). Where nvcc exists it first
// builds the fused bf16 kernels of the native session (native/kernels; --kernels-only stops after that).
//   CUDA 12.x driver: onnxruntime-node's own installer (--onnxruntime-node-install=cuda12; downloads from NuGet).
//   CUDA 13.x driver: the npm package com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 (= onnxruntime 1.29.0).
//   Offline (no registry): --from FILE.tgz takes that package as `npm pack` wrote it on a connected machine.
// It deliberately installs no CUDA toolkit or cuDNN: those come from NVIDIA (the message names what is missing).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const CUDA13_PACKAGE = 'com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9';
const ORT_VERSION = '1.29.0';
const force = process.argv.includes('--force');
const fromIndex = process.argv.indexOf('--from');
const from = fromIndex > 0 ? process.argv[fromIndex + 1] : undefined;

const ortDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
const ortVersion = JSON.parse(fs.readFileSync(path.join(ortDir, 'package.json'), 'utf8')).version;
const libDir = path.join(ortDir, 'bin', 'napi-v6', process.platform, process.arch);
const provider = path.join(libDir, 'libonnxruntime_providers_cuda.so');

function fail(message, hint) {
  console.error(`setup:gpu: ${message}${hint ? `\n  fix: ${hint}` : ''}`);
  process.exit(1);
}

/** CUDA version the driver supports, from nvidia-smi's banner ("CUDA Version: 13.0"). */
function driverCuda() {
  let text;
  try {
    text = execFileSync('nvidia-smi', { encoding: 'utf8' });
  } catch {
    fail('nvidia-smi did not run: no NVIDIA driver on this machine', 'install the NVIDIA driver (≥ 525 for CUDA 12, ≥ 580 for CUDA 13); without a GPU use fp32 on the CPU');
  }
  const cuda = text.match(/CUDA Version:\s*(\d+)\.(\d+)/);
  const driver = text.match(/Driver Version:\s*([\d.]+)/);
  if (!cuda) fail('nvidia-smi shows no CUDA version', 'update the NVIDIA driver');
  return { major: Number(cuda[1]), minor: Number(cuda[2]), driver: driver?.[1] ?? 'unknown' };
}

function installCuda13() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-cuda-'));
  try {
    let tgz = from && path.resolve(from);
    if (tgz) {
      if (!fs.existsSync(tgz)) fail(`--from ${from}: no such file`, `on a connected machine: npm pack ${CUDA13_PACKAGE}, then copy the .tgz here`);
      console.log(`setup:gpu: installing from ${tgz} …`);
    } else {
      console.log(`setup:gpu: fetching ${CUDA13_PACKAGE} from the npm registry …`);
      const packed = spawnSync('npm', ['pack', '--silent', CUDA13_PACKAGE], { cwd: tmp, encoding: 'utf8' });
      if (packed.status !== 0) {
        fail(`npm pack ${CUDA13_PACKAGE} failed: ${(packed.stderr || String(packed.error ?? '')).trim()}`,
          `check the network access to the npm registry, or run npm pack ${CUDA13_PACKAGE} on a connected machine and pass --from FILE.tgz`);
      }
      tgz = path.join(tmp, packed.stdout.trim().split('\n').pop());
    }
    // One pass over the (179 MB) tarball: extract the provider folder; a tarball without it is not that package.
    const unpacked = spawnSync('tar', ['xzf', tgz, '-C', tmp, 'package/Plugins/Linux/x64'], { encoding: 'utf8' });
    if (unpacked.status !== 0 || !fs.existsSync(path.join(tmp, 'package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so'))) {
      fail(`${tgz} is not ${CUDA13_PACKAGE} (no package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so inside)`, `npm pack ${CUDA13_PACKAGE}`);
    }
    for (const lib of ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']) {
      // copy through a temporary name so an interrupted copy never looks installed
      fs.copyFileSync(path.join(tmp, 'package/Plugins/Linux/x64', lib), path.join(libDir, `${lib}.tmp`));
      fs.renameSync(path.join(libDir, `${lib}.tmp`), path.join(libDir, lib));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function installCuda12() {
  console.log('setup:gpu: running onnxruntime-node\'s installer for CUDA 12 (downloads from NuGet) …');
  const r = spawnSync(process.execPath, [path.join(ortDir, 'script', 'install.js'), '--onnxruntime-node-install=cuda12'], { stdio: 'inherit', cwd: ortDir });
  if (r.status !== 0) fail('onnxruntime-node\'s CUDA 12 installer failed', 'check network access to api.nuget.org, or install the CUDA 12 provider by hand (see README, GPU setup)');
}

/** Missing shared libraries of the provider, as ldd sees them with the current loader path. */
function missingLibraries() {
  const r = spawnSync('ldd', [provider], { encoding: 'utf8' });
  return (r.stdout || '').split('\n').filter((l) => l.includes('not found')).map((l) => l.trim().split(/\s+/)[0]);
}

async function probe() {
  const ort = await import('onnxruntime-node');
  const { onnx } = (await import('onnx-proto')).default;
  const vi = (name) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } } });
  const model = onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 10, opsetImport: [{ domain: '', version: 23 }],
    graph: { name: 'probe', node: [{ opType: 'Add', input: ['a', 'a'], output: ['b'] }], input: [vi('a')], output: [vi('b')] },
  })).finish();
  const session = await ort.InferenceSession.create(model, { executionProviders: [{ name: 'cuda', deviceId: 0 }] });
  const out = await session.run({ a: new ort.Tensor('float32', Float32Array.of(1, 2), [2]) });
  await session.release();
  return Array.from(out.b.data);
}

/**
 * The fused bf16 kernels (native/kernels, issue 20) for the native session, built with nvcc for sm_80 and sm_90.
 * Needs no GPU; without nvcc (or without the kernels' sources, as in a bundled copy) it says so and goes on: the
 * kernels are only for graphs converted with --graph kernels=1, which only the native session runs.
 */
function buildKernels() {
  const script = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'native', 'kernels', 'build.sh');
  if (!fs.existsSync(script)) return;
  const nvcc = spawnSync(process.env.NVCC || 'nvcc', ['--version'], { encoding: 'utf8' });
  if (nvcc.status !== 0 && !fs.existsSync('/usr/local/cuda/bin/nvcc')) {
    console.log('setup:gpu: nvcc not found: the fused kernels (native/kernels) are not built; install the CUDA toolkit for graphs converted with --graph kernels=1');
    return;
  }
  const r = spawnSync('bash', [script], { stdio: 'inherit' });
  if (r.status !== 0) fail('the fused kernels (native/kernels) failed to build (nvcc output above)', 'check the CUDA toolkit (nvcc ≥ 12 for sm_90)');
}
if (process.argv.includes('--kernels-only')) { buildKernels(); process.exit(0); }
buildKernels();

if (process.platform !== 'linux' || process.arch !== 'x64') fail(`the CUDA provider is packaged for linux/x64 only (this is ${process.platform}/${process.arch})`, 'use fp32 on the CPU');
if (ortVersion !== ORT_VERSION) fail(`onnxruntime-node is ${ortVersion}, but the providers installed here are built for ${ORT_VERSION}`, `npm install onnxruntime-node@${ORT_VERSION}`);
const cuda = driverCuda();
console.log(`setup:gpu: driver ${cuda.driver}, CUDA ${cuda.major}.${cuda.minor}, onnxruntime-node ${ortVersion}`);
if (fs.existsSync(provider) && !force) {
  console.log(`setup:gpu: provider already installed in ${libDir} (--force reinstalls)`);
} else if (cuda.major >= 13) {
  installCuda13();
} else if (cuda.major === 12) {
  if (from) fail(`--from takes the CUDA 13 package (${CUDA13_PACKAGE}), but this driver supports CUDA ${cuda.major}.${cuda.minor}`, 'run without --from: onnxruntime-node\'s CUDA 12 installer fetches the CUDA 12 build');
  installCuda12();
} else {
  fail(`the driver supports CUDA ${cuda.major}.${cuda.minor}; onnxruntime ${ORT_VERSION} needs CUDA 12 or 13`, 'update the NVIDIA driver (≥ 525)');
}
const missing = missingLibraries();
if (missing.length) {
  fail(`the CUDA provider cannot load: missing ${missing.join(', ')}`,
    `install CUDA ${cuda.major >= 13 ? '13' : '12'} runtime libraries and cuDNN 9 (e.g. apt install cuda-libraries-${cuda.major >= 13 ? '13-0' : '12-6'} libcudnn9-cuda-${cuda.major >= 13 ? '13' : '12'}), and put them on LD_LIBRARY_PATH`);
}
try {
  const result = await probe();
  const cc = execFileSync('nvidia-smi', ['--query-gpu=name,compute_cap', '--format=csv,noheader'], { encoding: 'utf8' }).trim().split('\n')[0];
  const capability = Number(cc.split(',').pop());
  console.log(`setup:gpu: CUDA execution provider loaded and ran on ${cc} (1+1, 2+2 = ${result.join(', ')}).`);
  console.log(capability >= 8 ? 'setup:gpu: bf16 is available (compute capability ≥ 8.0).'
    : `setup:gpu: this GPU (compute capability ${capability}) has no bf16: use fp16-safe or fp32.`);
} catch (e) {
  fail(`the CUDA execution provider is installed but failed to run: ${e.message}`, 'run nvidia-smi to check the GPU, and see README, GPU setup');
}
