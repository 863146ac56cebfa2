// The advice shown beside the steps and CFG controls, as pure functions of the value so the browser can update it on
// every keystroke. Deliberately advisory: limits are enforced by lib/params.ts, not here.

export type HintTone = 'ok' | 'info' | 'warn';

export interface Hint {
  tone: HintTone;
  text: string;
}

/** Z-Image-Turbo is distilled for ~8 steps; the bands come from its model card and our own sweeps. */
export function stepsHint(steps: number): Hint {
  if (!Number.isFinite(steps) || steps < 1) return { tone: 'warn', text: 'Steps must be at least 1.' };
  if (steps <= 3) return { tone: 'warn', text: 'Too few steps: expect blurry, unfinished images.' };
  if (steps <= 6) return { tone: 'info', text: 'Fast, softer detail (4–6). Turbo is distilled for ~8 steps.' };
  if (steps === 7) return { tone: 'info', text: 'Close to the distilled 8 steps; 8–12 is recommended.' };
  if (steps <= 12) return { tone: 'ok', text: 'Recommended (8–12): Turbo is distilled for ~8 steps.' };
  if (steps <= 16) return { tone: 'info', text: 'Diminishing returns above 12: slower, barely sharper.' };
  return { tone: 'warn', text: 'No gain above 16 steps for Turbo, only more time. Use 8–12.' };
}

/** Classic CFG: 1 = off (one DiT pass per step); above 1 the negative prompt adds a second pass. */
export function cfgHint(cfg: number): Hint {
  if (!Number.isFinite(cfg) || cfg < 1) return { tone: 'warn', text: 'CFG is classic here: 1 means off.' };
  if (cfg === 1) return { tone: 'ok', text: 'Off (Turbo default): one pass per step; the negative prompt is not used.' };
  if (cfg <= 3) {
    return { tone: 'info', text: 'CFG > 1 doubles the work (two passes per step) and uses the negative prompt.' };
  }
  return { tone: 'warn', text: 'High CFG on a distilled model oversaturates and burns; 1.5–3 is the useful range. Doubles the work.' };
}
