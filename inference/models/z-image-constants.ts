// Z-Image's fixed numbers as plain data, one source for the family entry (inference/models/registry.ts) and the
// studio's VRAM estimate (lib/vram.ts, which runs in the browser). No imports and no code, so client code may import
// it (biome.json allows this one engine file besides pipeline/types.ts and rules.ts). Deliberately not the config a
// conversion detects from a checkpoint (z-image-dit.ts, flux-vae.ts read that from the weights): the family's
// constants, and the released Turbo's shape for estimates made without the weights.

/** What every Z-Image checkpoint shares. */
export const Z_IMAGE_CONSTANTS = {
  /** Latent channels the DiT and the VAE exchange. */
  latentChannels: 16,
  /** Image pixels per latent pixel, per side (the FLUX VAE). */
  vaeFactor: 8,
  /** Latent pixels per DiT token, per side: one token covers vaeFactor·patch image pixels per side. */
  patch: 2,
} as const;

/** Z-Image-Turbo as released (models.test.ts checks these against its parameter arithmetic). */
export const Z_IMAGE_TURBO_SHAPE = {
  /** DiT blocks: 30 main + 2 noise-refiner + 2 context-refiner. */
  ditBlocks: 34,
  /** DiT parameters per block, in units of dim² (attention, SwiGLU, modulation; embedders spread over the blocks). */
  ditParamsPerDim2: 12.3,
  /** DiT attention head width. */
  headDim: 128,
  /** FLUX VAE decoder parameters. */
  vaeDecoderParameters: 49_545_475,
  /** FLUX VAE decoder channels at full resolution (its last up block). */
  vaeFullResolutionChannels: 128,
} as const;
