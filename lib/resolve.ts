// The one resolution of a request's model and precision, shared by the in-process engine (lib/engine/index.ts), the
// Redis queue's worker catalogue (lib/server/worker-catalogue.ts) and the worker command (lib/worker/main.ts): the
// named model or the default one, the named precision or the default rule's (inference/pipeline/rules.ts), refused
// with a StudioError when it cannot run. Pure: callers pass what exists and what runs; the texts of the refusals
// are theirs (they know what to tell the user to do).
import type { ModelEntry, Precision, SystemInfo } from '../inference/pipeline/types.ts';
import { StudioError } from './errors.ts';
import { defaultPrecision, precisionOptions, type PrecisionOption } from './precision.ts';

/** The model a request that names none runs on: the first real model, else the trained demo, else the tiny one. */
export function defaultModel<M extends { tiny: boolean; demo?: unknown }>(models: readonly M[]): M | undefined {
  return models.find((model) => !model.tiny && !model.demo) ?? models.find((model) => model.demo) ?? models[0];
}

export interface ResolveTexts {
  /** Why no model matched (`requested` undefined: none was named and there is none). */
  unknownModel(requested: string | undefined): { message: string; hint?: string };
  /** Why the precision cannot run (`precision` undefined: the model has none that runs here). */
  noPrecision(model: ModelEntry, precision: Precision | undefined, chosen: PrecisionOption | undefined, available: Precision[]): string;
}

/** The model and precision a request runs on, or the StudioError that says what to pick instead. */
export function resolveModelPrecision(
  models: readonly ModelEntry[],
  machine: SystemInfo['precisions'],
  wanted: { model?: string; precision?: Precision },
  texts: ResolveTexts,
): { model: ModelEntry; precision: Precision } {
  const model = wanted.model ? models.find((entry) => entry.id === wanted.model) : defaultModel(models);
  if (!model) {
    const { message, hint } = texts.unknownModel(wanted.model);
    throw new StudioError('unknown_model', message, hint);
  }
  const options = precisionOptions(machine, model);
  const precision = wanted.precision ?? defaultPrecision(options);
  const chosen = options.find((option) => option.precision === precision);
  if (!precision || !chosen?.available) {
    const available = options.filter((option) => option.available).map((option) => option.precision);
    throw new StudioError('precision_unavailable', texts.noPrecision(model, precision, chosen, available));
  }
  return { model, precision };
}
