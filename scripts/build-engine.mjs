// Compiles what the studio loads at run time from dist/engine/: the engine entry (lib/engine/entry.ts → engine.mjs,
// system info, models and audits on the server's thread) and the engine thread that runs jobs
// (lib/engine/thread-entry.ts → engine-thread.mjs, the engine bundled in). Every npm package stays external, so
// onnxruntime-node, the tokenizer and their files load from node_modules exactly as under the CLI.
// Deliberately not a Next.js concern: `npm start` and `npm run dev` run this first (about a second).
import { build } from 'esbuild';

await build({
  entryPoints: { engine: 'lib/engine/entry.ts', 'engine-thread': 'lib/engine/thread-entry.ts' },
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: 'dist/engine',
  outExtension: { '.js': '.mjs' },
  sourcemap: 'linked',
  logLevel: 'warning',
});
// The HTTP server `npm start` runs (server.ts): Next.js's handler behind the client-address check.
await build({
  entryPoints: ['server.ts'],
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: 'dist/server.mjs',
  sourcemap: 'linked',
  logLevel: 'warning',
});
console.log('built dist/engine/engine.mjs, dist/engine/engine-thread.mjs and dist/server.mjs');
