// Stores the images of one job: each under its id (fresh ones in-process, ids derived from the job id for the Redis
// queue, so a second settle of one job finds the first), a batch's records naming every id of the batch so any one
// of them leads to the others. Deliberately only the order of saves: each save is atomic in the store
// (lib/db/results-store.ts); a crash mid-batch keeps the images saved so far, each whole.
import { newResultId, type NewResult, type ResultsStore } from '../db/results-store.ts';
import type { ResultRecord } from '../results.ts';

/** Saves every image and returns the records in seed order. */
export async function saveJob(store: ResultsStore, results: NewResult[], options: { now?: Date; ids?: string[] } = {}): Promise<ResultRecord[]> {
  const ids = options.ids ?? results.map(() => newResultId());
  const saved: ResultRecord[] = [];
  for (const [index, result] of results.entries()) {
    const record = result.batch ? { ...result, batch: { ...result.batch, ids } } : result;
    saved.push(await store.save(record, options.now, ids[index]));
  }
  return saved;
}
