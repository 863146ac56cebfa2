// The reference formulations as a converter override: convert({ formulation: referenceFormulation(forms) }) builds
// the DiT and the VAE with the switches of `forms` (GraphOptions), and records them and their fp32 islands in the
// manifest. For tests and benchmarks only (bench/convert.ts, models.test.ts); the product converts SHIPPED_GRAPH.
import type { FormulationOverride } from '../../convert.ts';
import type { GraphOptions } from '../blocks.ts';
import { buildVaeDecoderReference } from './flux-vae.ts';
import { buildDitReference } from './z-image-dit.ts';

export function referenceFormulation(forms: GraphOptions): FormulationOverride {
  return {
    graph: forms,
    build: {
      dit: (ctx, config) => buildDitReference(ctx, config, forms),
      vae: (ctx, config) => buildVaeDecoderReference(ctx, config, forms),
    },
    islands: {
      dit: ['timestep sinusoid (t_embedder input)', forms.ropeOp ? 'RoPE tables (computed in fp32)' : 'RoPE tables and rotation',
        'RMSNorm statistics (stash_type 1)', 'latents in and velocity out'],
    },
  };
}
