#!/usr/bin/env node
// The `zimage` command of package.json's bin (`npx zimage …`): plain JavaScript, so Node 20 runs it (a .ts bin entry
// fails there with ERR_UNKNOWN_FILE_EXTENSION). It runs the CLI's TypeScript source through tsx's loader, or, where
// tsx is not installed (a production install), the bundle `npm run build:cli` writes to dist/zimage.mjs.
// It deliberately holds no CLI logic: inference/cli/zimage.ts does.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

async function cli() {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    return await import(pathToFileURL(path.join(root, 'inference/cli/zimage.ts')).href);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('tsx')) throw error;
    const bundle = path.join(root, 'dist/zimage.mjs');
    if (!fs.existsSync(bundle)) {
      console.error('zimage: neither tsx (npm install) nor the bundled CLI (npm run build:cli → dist/zimage.mjs) is here.');
      process.exit(1);
    }
    return import(pathToFileURL(bundle).href);
  }
}

const { main } = await cli();
process.exit(await main(process.argv.slice(2)));
