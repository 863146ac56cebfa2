// Tiled vs whole VAE decode on a converted VAE (e.g. the full-width FLUX-config random one): PSNR of the default
// tile plan. Measurement only, no assertion.
//   python3 scripts/reference/components.py full --out /tmp/vaefull --only vae --no-io
//   npx tsx inference/cli/zimage.ts convert /tmp/vaefull/diffusers --out /tmp/vaefull/m --precision fp32 --components vae
//   node --import tsx scripts/tiled-vae-check.ts /tmp/vaefull/m/fp32 96 [cpu|cuda]
import { VaeRunner, readManifest } from '../inference/runners.ts';
import { decodeTiled, DEFAULT_TILES } from '../inference/pipeline/tiled-vae.ts';
import { randn } from '../inference/sampling/rng.ts';
const dir = process.argv[2];
const vae = await VaeRunner.load(dir, readManifest(dir), { ep: (process.argv[4] ?? 'cpu') as 'cpu' });
const h = Number(process.argv[3] ?? 96), w = h;
const z = randn(1, [1, 16, h, w]);
let t = Date.now();
const whole = await vae.decode(z, h, w);
console.log('whole', Date.now() - t, 'ms'); t = Date.now();
const tiled = await decodeTiled(z, 16, h, w, 8, (x, th, tw) => vae.decode(x, th, tw), DEFAULT_TILES);
console.log('tiled', Date.now() - t, 'ms');
let mse = 0;
const px = (v: number) => Math.round(Math.min(1, Math.max(0, v / 2 + 0.5)) * 255);
for (let i = 0; i < whole.length; i++) mse += (px(whole[i]) - px(tiled[i])) ** 2;
console.log(JSON.stringify({ latent: [h, w], plan: DEFAULT_TILES, psnr_db: 10 * Math.log10(255 ** 2 / (mse / whole.length)) }));
