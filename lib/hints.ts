// The advice shown beside the steps and CFG controls, as pure functions of the value (and the loaded model's
// variant: Turbo's distilled 8 steps and CFG off are wrong advice for Z-Image base) so the browser can update it on
// every keystroke. Deliberately advisory: limits are enforced by lib/params.ts, not here.

export type HintTone = 'ok' | 'info' | 'warn';

export interface Hint {
  tone: HintTone;
  text: string;
}

/**
 * Z-Image-Turbo is distilled for ~8 steps; the bands come from its model card and our own sweeps. Z-Image base is
 * not distilled: its model card recommends 28–50.
 */
export function stepsHint(steps: number, variant = 'turbo'): Hint {
  if (!Number.isFinite(steps) || steps < 1) return { tone: 'warn', text: 'Steps must be at least 1.' };
  if (variant === 'base') {
    if (steps < 20) return { tone: 'warn', text: 'Too few steps for Z-Image base (not distilled): expect noisy, unfinished images. Use 28–50.' };
    if (steps < 28) return { tone: 'info', text: 'Below the recommended 28–50 for Z-Image base: faster, less finished.' };
    if (steps <= 50) return { tone: 'ok', text: 'Recommended (28–50) for Z-Image base.' };
    return { tone: 'info', text: 'Above 50 steps: slower, rarely better for Z-Image base.' };
  }
  if (steps <= 3) return { tone: 'warn', text: 'Too few steps: expect blurry, unfinished images.' };
  if (steps <= 6) return { tone: 'info', text: 'Fast, softer detail (4–6). Turbo is distilled for ~8 steps.' };
  if (steps === 7) return { tone: 'info', text: 'Close to the distilled 8 steps; 8–12 is recommended.' };
  if (steps <= 12) return { tone: 'ok', text: 'Recommended (8–12): Turbo is distilled for ~8 steps.' };
  if (steps <= 16) return { tone: 'info', text: 'Diminishing returns above 12: slower, barely sharper.' };
  return { tone: 'warn', text: 'No gain above 16 steps for Turbo, only more time. Use 8–12.' };
}

/**
 * Classic CFG: 1 = off (one DiT pass per step); above 1 the negative prompt adds a second pass. Z-Image base needs
 * it: the reference's guidance 3–5 is classic CFG 4–6 here.
 */
export function cfgHint(cfg: number, variant = 'turbo'): Hint {
  if (!Number.isFinite(cfg) || cfg < 1) return { tone: 'warn', text: 'CFG is classic here: 1 means off.' };
  if (variant === 'base') {
    if (cfg === 1) return { tone: 'warn', text: 'Off: Z-Image base is not distilled and needs guidance; the negative prompt is ignored. Use 4–6.' };
    if (cfg < 4) return { tone: 'info', text: 'Weak guidance for Z-Image base; 4–6 (the reference\'s 3–5) is recommended. Uses the negative prompt.' };
    if (cfg <= 6) return { tone: 'ok', text: 'Recommended (4–6, the reference\'s guidance 3–5): two passes per step, the negative prompt counts.' };
    return { tone: 'warn', text: 'High CFG oversaturates even without distillation; 4–6 is the recommended range.' };
  }
  if (cfg === 1) return { tone: 'ok', text: 'Off (Turbo default): one pass per step; the negative prompt is not used.' };
  if (cfg <= 3) {
    return { tone: 'info', text: 'CFG > 1 doubles the work (two passes per step) and uses the negative prompt.' };
  }
  return { tone: 'warn', text: 'High CFG on a distilled model oversaturates and burns; 1.5–3 is the useful range. Doubles the work.' };
}
