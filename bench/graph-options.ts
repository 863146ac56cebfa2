// The switches of the reference graph formulations as text, `rope-op=0,fused-norms=1,vae-norm=spelled` (the
// --graph of bench/convert.ts), over the shipped set. Measurement only: the product CLI converts the shipped graph.
import { EngineError } from '../inference/errors.ts';
import { SHIPPED_GRAPH, type GraphOptions } from '../inference/models/blocks.ts';

/** Parses `rope-op=0,fused-norms=1,vae-norm=spelled` over the shipped formulation. */
export function parseGraphOptions(spec: string | undefined): GraphOptions {
  const opts = { ...SHIPPED_GRAPH };
  if (!spec) return opts;
  const flag = (k: string, v: string) => {
    if (v !== '0' && v !== '1') throw new EngineError('convert-bad-graph-option', `--graph ${k}=${v}: expected 0 or 1`);
    return v === '1';
  };
  for (const part of spec.split(',').filter(Boolean)) {
    const [k, v = ''] = part.split('=');
    if (k === 'rope-op') opts.ropeOp = flag(k, v);
    else if (k === 'fused-norms') opts.fusedNorms = flag(k, v);
    else if (k === 'skip-norm') opts.skipNorm = flag(k, v);
    else if (k === 'mod-batch') opts.modBatch = flag(k, v);
    else if (k === 'vae-norm' && (v === 'folded' || v === 'spelled')) opts.vaeNorm = v;
    else {
      throw new EngineError('convert-bad-graph-option', `unknown graph option ${JSON.stringify(part)}`, {
        hint: 'use rope-op=0|1, fused-norms=0|1, skip-norm=0|1, mod-batch=0|1, vae-norm=folded|spelled (comma-separated)',
      });
    }
  }
  return opts;
}
