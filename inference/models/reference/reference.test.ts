// Parity of the shipped graphs with their references: in every precision, the product builders (z-image-dit.ts,
// flux-vae.ts) and the reference builders with the shipped switches write byte-identical ONNX files on the tiny
// checkpoint (same nodes, names, attributes and weights), so the golden tests of the reference formulations
// (models.test.ts) and the measurements of bench/ compare against exactly what ships.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { convert } from '../../convert.ts';
import { PRECISIONS } from '../../pipeline/types.ts';
import { writeTinyCheckpoint } from '../../tiny.ts';
import { SHIPPED_GRAPH } from '../blocks.ts';
import { referenceFormulation } from './index.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-test-'));
const src = path.join(tmp, 'src');

before(() => writeTinyCheckpoint(src, 0, (f) => fs.writeFileSync(f, '{}')));

for (const precision of PRECISIONS) {
  test(`${precision}: the shipped DiT and VAE graphs are the reference builders' with the shipped switches, byte for byte`, () => {
    const shipped = convert({ sources: [src], out: path.join(tmp, `shipped-${precision}`), precision, components: ['dit', 'vae'] });
    const reference = convert({ sources: [src], out: path.join(tmp, `reference-${precision}`), precision, components: ['dit', 'vae'], formulation: referenceFormulation(SHIPPED_GRAPH) });
    for (const c of ['dit', 'vae'] as const) {
      const files = fs.readdirSync(shipped.dir).filter((f) => f.startsWith(`${c}.onnx`)).sort();
      assert.ok(files.length >= 1, c);
      assert.deepEqual(fs.readdirSync(reference.dir).filter((f) => f.startsWith(`${c}.onnx`)).sort(), files);
      for (const f of files) assert.ok(fs.readFileSync(path.join(shipped.dir, f)).equals(fs.readFileSync(path.join(reference.dir, f))), `${precision} ${f}`);
      assert.deepEqual(reference.manifest.components[c]!.fp32Islands, shipped.manifest.components[c]!.fp32Islands);
      assert.deepEqual(reference.manifest.components[c]!.graph, shipped.manifest.components[c]!.graph);
    }
  });
}
