// ArrowUp/ArrowDown in a numeric text box: one step up or down (Shift: ten), clamped to the field's range, so a
// keyboard user never has to retype a number. Deliberately only the arithmetic (no DOM): the fields call it.

export interface StepRule {
  step: number;
  min: number;
  max: number;
}

/** The new text for an arrow press, or null when the key is not an arrow (the field keeps its own handling). */
export function steppedValue(text: string, key: string, shift: boolean, rule: StepRule): string | null {
  if (key !== 'ArrowUp' && key !== 'ArrowDown') return null;
  const current = Number(text);
  const delta = (key === 'ArrowUp' ? 1 : -1) * rule.step * (shift ? 10 : 1);
  if (text.trim() === '' || !Number.isFinite(current)) return String(rule.min);
  // From an off-grid value the first press lands on the grid (1007 ↑ → 1008 for multiples of 16).
  const onGrid = Math.abs(current / rule.step - Math.round(current / rule.step)) < 1e-9;
  const next = onGrid ? current + delta : (delta > 0 ? Math.ceil(current / rule.step) : Math.floor(current / rule.step)) * rule.step;
  const clamped = Math.min(rule.max, Math.max(rule.min, next));
  // Decimal steps (CFG 0.5) print without float noise.
  return String(Math.round(clamped * 1e6) / 1e6);
}
