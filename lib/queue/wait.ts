// Waits for one job to end through the JobQueue interface, for the synchronous APIs (OpenAI, A1111) that answer
// only with the finished image. Deliberately cancels the job when the HTTP client goes away, so an abandoned request
// does not keep the GPU busy.
import { isTerminal, type JobQueue, type JobSnapshot } from './types.ts';

export function waitForJob<TInput, TOutput>(
  queue: JobQueue<TInput, TOutput>,
  jobId: string,
  signal?: AbortSignal,
): Promise<JobSnapshot<TInput, TOutput>> {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    const onAbort = () => {
      unsubscribe();
      void queue.cancel(jobId);
      reject(Object.assign(new Error('The client closed the request; the job was canceled.'), { name: 'AbortError' }));
    };
    const settle = (job: JobSnapshot<TInput, TOutput>) => {
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      resolve(job);
    };
    // Subscribe before reading the state so an end between the two cannot be missed.
    unsubscribe = queue.subscribe(
      (event) => {
        if (isTerminal(event.job.status)) settle(event.job);
      },
      { jobId },
    );
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    void queue.get(jobId).then((job) => {
      if (!job) {
        unsubscribe();
        reject(new Error(`Job ${jobId} is unknown to the queue.`));
      } else if (isTerminal(job.status)) settle(job);
    });
  });
}
