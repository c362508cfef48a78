// Redriving a finished job, the finisher function's part (asked by the route, app/redrive-job.ts,
// through the finisher's queue): the job's frontier listed, its failed items (robots.txt refusals
// excepted) reset and their count taken back, every URL to crawl again sent to the crawl queue,
// then the job's `redriving` mark removed, and the job ended if nothing is left to crawl.
//
// Idempotent under duplicate delivery and a crash anywhere, as the message comes back:
//   - the reset is per item, conditional on the item still failed and the job still in this run
//     and marked: a repeat resets only what is still failed (a URL that failed again in this run
//     before a crash is one more try, its counts kept exact), and nothing once the mark is gone;
//   - URLs are sent before the mark goes: a crash between leaves the mark, and the repeat sends
//     the URLs still queued again; a URL sent twice is claimed once (a done page is not sent);
//   - while the mark holds, the job cannot end by its counts (jobs.beginFinishIfSettled), so the
//     last settle of a fast run may find it held: the end is asked here once the mark is removed.
import { isRedrivable } from '../core/job.js';
import type { CrawlMessage } from '../core/ports.js';
import type { AppDeps } from './deps.js';
import { finishIfDone } from './finish-job.js';

export type RedriveRunOutcome = 'queued' | 'not-this-run' | 'done-already' | 'ended-meanwhile';

/** failed items put back per call of the store (its transactions take 99): a crash loses at most this much work */
export const REQUEUE_CHUNK = 99;

/** `afterChunk`: called after each chunk of failed items is put back (fault injection, tests). */
export async function continueRedrive(jobId: string, run: number, deps: AppDeps, afterChunk?: (chunks: number) => void | Promise<void>): Promise<RedriveRunOutcome> {
  const job = await deps.jobs.getJob(jobId);
  if (!job || job.status !== 'running' || job.redrives !== run) return 'not-this-run';
  if (job.redriving !== run) {
    // A repeat after the mark was removed: the URLs are on the queue. The end may still be owed.
    await finishIfDone(jobId, deps);
    return 'done-already';
  }
  const again = (await deps.frontier.list(jobId)).filter(isRedrivable);
  const failed = again.filter((record) => record.state === 'failed');
  for (let start = 0, chunks = 1; start < failed.length; start += REQUEUE_CHUNK, chunks++) {
    if (!(await deps.jobs.requeueFailed(jobId, run, failed.slice(start, start + REQUEUE_CHUNK)))) return 'ended-meanwhile';
    await afterChunk?.(chunks);
  }
  // Also the URLs a job that ended early (cancelled, time limit) never crawled: they are counted as
  // unsettled already, and nothing else will put them on the queue.
  const messages: CrawlMessage[] = again.map((record) => ({ jobId, url: record.url, depth: record.depth }));
  if (messages.length > 0) await deps.queue.send(messages);
  await deps.jobs.endRedrive(jobId, run);
  deps.log.info('redriven URLs queued', { jobId, run, urls: messages.length, failed: failed.length });
  await finishIfDone(jobId, deps);
  return 'queued';
}
