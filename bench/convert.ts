// Converts a checkpoint in a reference graph formulation, for the benchmarks (bundled into dist/bench-convert.mjs):
// `zimage convert`'s arguments plus --graph with the switches of bench/graph-options.ts, e.g.
//   node dist/bench-convert.mjs SRC --out DIR --precision bf16 --components dit --graph skip-norm=0
// The output is a model folder like any other, its manifest recording the formulation built.
// It deliberately is not the product CLI: the studio and `zimage convert` always build the shipped graph.
import { parseArgs } from 'node:util';
import { COMPONENTS, convert } from '../inference/convert.ts';
import { referenceFormulation } from '../inference/models/reference/index.ts';
import { PRECISIONS, type ComponentName, type Precision } from '../inference/pipeline/types.ts';
import { parseGraphOptions } from './graph-options.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string' }, precision: { type: 'string' }, components: { type: 'string' }, name: { type: 'string' }, graph: { type: 'string' } },
});
const precision = values.precision as Precision;
if (!positionals.length || !values.out || !PRECISIONS.includes(precision)) {
  console.error(`usage: bench-convert SRC... --out DIR --precision ${PRECISIONS.join('|')} [--components te,dit,vae] [--graph rope-op=0,…]`);
  process.exit(2);
}
const components = values.components?.split(',').map((c) => c.trim() as ComponentName).filter((c) => COMPONENTS.includes(c));
const { dir } = convert({
  sources: positionals, out: values.out, precision, components, name: values.name,
  formulation: referenceFormulation(parseGraphOptions(values.graph)), log: (l) => console.error(l),
});
console.log(`converted into ${dir} (graph ${values.graph ?? 'shipped, by the reference builders'})`);
