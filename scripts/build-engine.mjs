// Compiles the engine entry the studio loads (lib/engine/entry.ts → dist/engine/engine.mjs). Every npm package stays
// external, so onnxruntime-node, the tokenizer and their files load from node_modules exactly as under the CLI.
// Deliberately not a Next.js concern: `npm start` and `npm run dev` run this first (about a second).
import { build } from 'esbuild';

await build({
  entryPoints: ['lib/engine/entry.ts'],
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: 'dist/engine/engine.mjs',
  sourcemap: 'linked',
  logLevel: 'warning',
});
console.log('built dist/engine/engine.mjs');
