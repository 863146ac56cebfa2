// The linter's boundary rule (biome.json): client code (components/, lib/client/, lib/state/) cannot import the
// engine or server code, only the engine's plain-data contract (inference/pipeline/types.ts, rules.ts, the variant
// table inference/models/variants.ts and Z-Image's constants inference/models/z-image-constants.ts). Run by
// `npm run lint` on the tree; here on probe files in a temporary folder with the project's own biome.json, as if
// they sat in components/ or app/, so nothing is written into the tree.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const root = path.join(import.meta.dirname, '..');
const biome = path.join(root, 'node_modules/.bin/biome');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-test-'));
fs.copyFileSync(path.join(root, 'biome.json'), path.join(dir, 'biome.json'));
let probes = 0;

function lint(source: string, where = 'components') {
  const file = path.join(where, `probe-${probes++}.tsx`);
  fs.mkdirSync(path.join(dir, where), { recursive: true });
  fs.writeFileSync(path.join(dir, file), source);
  const r = spawnSync(biome, ['lint', '--vcs-enabled=false', file], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('a client component may import Z-Image\'s constants, a data file that imports nothing', () => {
  const r = lint("import { Z_IMAGE_CONSTANTS } from '@/inference/models/z-image-constants.ts';\nexport const x = Z_IMAGE_CONSTANTS.vaeFactor;\n");
  assert.equal(r.code, 0, r.out);
  // what makes it safe for the browser bundle: nothing comes in with it
  assert.doesNotMatch(fs.readFileSync(path.join(root, 'inference/models/z-image-constants.ts'), 'utf8'), /^\s*(import|export .* from)\b/m);
});

test('a client component may import the engine\'s types and rules', () => {
  const r = lint("import type { Precision } from '@/inference/pipeline/types.ts';\nimport { LIMITS } from '../inference/pipeline/rules.ts';\nexport const x: [Precision, unknown] = ['fp32', LIMITS];\n");
  assert.equal(r.code, 0, r.out);
});

test('a client component may import the variant table (pure data), not the registry that holds builders', () => {
  assert.equal(lint("import { variantSpec } from '@/inference/models/variants.ts';\nexport const v = variantSpec('base');\n").code, 0);
  assert.notEqual(lint("import { FAMILIES } from '@/inference/models/registry.ts';\nexport const f = FAMILIES;\n").code, 0);
});

for (const [what, line] of [
  ['the engine', "import { convert } from '@/inference/convert.ts';"],
  ['the engine, by a relative path', "import { DitRunner } from '../../inference/runners.ts';"],
  ['the registry beside the constants', "import { FAMILIES } from '@/inference/models/registry.ts';"],
  ['the engine adapter', "import { EngineAdapter } from '@/lib/engine/index.ts';"],
  ['server services', "import { getStudio } from '../lib/server/studio.ts';"],
  ['onnxruntime', "import * as ort from 'onnxruntime-node';"],
] as const) {
  test(`a client component importing ${what} fails the lint`, () => {
    const r = lint(`${line}\nexport const y = [];\n`);
    assert.notEqual(r.code, 0);
    assert.match(r.out, /noRestrictedImports/);
  });
}

test('the same import is fine outside client code (a route handler)', () => {
  assert.equal(lint("import { getStudio } from '@/lib/server/studio.ts';\nexport const y = [getStudio];\n", 'app/api/x').code, 0);
});
