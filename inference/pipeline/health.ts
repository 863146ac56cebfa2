// Numerical health of a generation: NaN/Inf counts of the latents after each step (an fp16 overflow shows up as
// NaN from some step on, then black images), and a flat/black check of the decoded image. Plain functions on
// arrays; the pipeline records them in the result and stops denoising once the latents are entirely NaN.
// It deliberately decides nothing about precision: it reports what happened.

export interface StepHealth {
  step: number;
  nan: number;
  inf: number;
}

export interface ImageHealth {
  /** Mean and standard deviation of the 8-bit pixels, in 0..255. */
  mean: number;
  std: number;
  /** Share of pixels whose channels are all ≤ 8 (black). */
  blackFraction: number;
  black: boolean;
  flat: boolean;
}

export interface Health {
  steps: StepHealth[];
  /** First step (1-based) whose latents hold a NaN or Inf, if any. */
  firstBadStep?: number;
  /** Denoising stopped early because every latent value was NaN. */
  stoppedEarly: boolean;
  image: ImageHealth;
  /** One line for the result card, e.g. "NaN from step 3 in the DiT (fp16 overflow?)"; absent when healthy. */
  summary?: string;
}

export function countNonFinite(values: Float32Array): { nan: number; inf: number } {
  let nan = 0, inf = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) nan++;
    else if (v === Infinity || v === -Infinity) inf++;
  }
  return { nan, inf };
}

/** Black: nearly every pixel black. Flat: almost no variation (a grey or single-colour image). */
export function imageHealth(rgb: Uint8Array): ImageHealth {
  const n = rgb.length / 3;
  let sum = 0, sq = 0, black = 0;
  for (let i = 0; i < n; i++) {
    const r = rgb[i * 3], g = rgb[i * 3 + 1], b = rgb[i * 3 + 2];
    const y = (r + g + b) / 3;
    sum += y;
    sq += y * y;
    if (r <= 8 && g <= 8 && b <= 8) black++;
  }
  const mean = sum / n;
  const std = Math.sqrt(Math.max(0, sq / n - mean * mean));
  const blackFraction = black / n;
  return { mean, std, blackFraction, black: blackFraction > 0.98, flat: std < 2 };
}

export function summarize(steps: StepHealth[], image: ImageHealth, precision: string): Pick<Health, 'firstBadStep' | 'summary'> {
  const bad = steps.find((s) => s.nan + s.inf > 0);
  const overflowHint = precision === 'fp16' ? ' (fp16 overflow)' : '';
  if (bad) {
    const what = bad.nan ? 'NaN' : 'Inf';
    return { firstBadStep: bad.step, summary: `${what} from step ${bad.step} in the DiT${overflowHint}${image.black ? ': black image' : ''}` };
  }
  if (image.black) return { summary: 'black image' };
  if (image.flat) return { summary: 'flat image (no detail)' };
  return {};
}
