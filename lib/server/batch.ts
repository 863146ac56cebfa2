// Several images for one synchronous request (OpenAI's n): each set of parameters is resolved before the first job
// is queued, so a bad model or precision fails at once, then the jobs run one after another and their saved results
// come back in order. Deliberately a loop over the single-image path: when the studio's own batches (a `count`
// field on one job) exist, this is the one place to switch to them.
import type { GenerationParams } from '../params.ts';
import type { ResultRecord } from '../results.ts';
import { generateAndWait, getStudio } from './studio.ts';

export async function generateEach(images: readonly GenerationParams[], signal: AbortSignal): Promise<ResultRecord[]> {
  const { engine } = getStudio();
  for (const params of images) await engine.resolve(params);
  const records: ResultRecord[] = [];
  for (const params of images) records.push(await generateAndWait(params, signal));
  return records;
}
