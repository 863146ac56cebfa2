// Typed engine errors: what failed, expected vs got, and a hint that says how to fix it. The HTTP layer maps
// `code` to a status and shows `message` + `hint` to the user. Nothing here knows about HTTP.

export interface EngineErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class EngineError extends Error {
  readonly code: string;
  readonly hint?: string;

  constructor(code: string, message: string, options: EngineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EngineError';
    this.code = code;
    this.hint = options.hint;
  }

  /** One line for a terminal: message, then the hint. */
  toString(): string {
    return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
  }
}

/** The error a cancelled generation rejects with (name 'AbortError', like fetch's). */
export class AbortError extends Error {
  constructor(message = 'generation cancelled') {
    super(message);
    this.name = 'AbortError';
  }
}
