// Typed input errors of the sampling numerics (noise, sigma schedule, guidance): an EngineError whose message says
// what was wrong and whose hint says how to fix it. Deliberately carries no HTTP status: the studio maps `code`.

import { EngineError, type EngineErrorCode } from '../errors.ts';

export type SamplingErrorCode = Extract<EngineErrorCode, 'invalid-seed' | 'invalid-shape' | 'invalid-steps' | 'invalid-argument'>;

export class SamplingError extends EngineError {
  declare readonly code: SamplingErrorCode;
  declare readonly hint: string;

  constructor(code: SamplingErrorCode, message: string, hint: string) {
    super(code, message, { hint });
    this.name = 'SamplingError';
  }
}
