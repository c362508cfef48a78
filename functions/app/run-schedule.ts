// One firing of a schedule (the target of its timer): a run is a job submitted as the crawl route
// submits one (app/submit-crawl.ts), owned by the schedule's owner, with `since` = the previous
// successful run. A firing while the previous run still runs starts nothing and is counted as
// skipped. Each firing is acted on once: EventBridge Scheduler may deliver one twice, and retries
// one that failed, always with the same scheduled time.
import { ClientInputError } from '../core/errors.js';
import { isFinal } from '../core/job.js';
import { parseCrawlRequest, type Catalog, type CrawlRequest } from '../core/messages.js';
import type { ScheduleFiring, ScheduleRecord } from '../core/schedule.js';
import type { ScheduleStore } from '../core/schedule-ports.js';
import type { AppDeps } from './deps.js';

export type RunOutcome = 'started' | 'skipped' | 'duplicate' | 'removed' | 'refused';

export type SubmitRun = (request: CrawlRequest, connectionId: string, jobId: string, owner: string) => Promise<void>;

export async function runSchedule(firing: ScheduleFiring, newJobId: string, deps: AppDeps & { schedules: ScheduleStore }, submit: SubmitRun, catalog?: Catalog): Promise<RunOutcome> {
  const schedule = await deps.schedules.get(firing.scheduleId);
  if (!schedule || schedule.deletedAt !== undefined) return 'removed';
  const parsedTime = firing.scheduledTime !== undefined ? Date.parse(firing.scheduledTime) : Number.NaN;
  const firedAt = Number.isFinite(parsedTime) ? parsedTime : deps.clock.now();
  const last = schedule.lastFiredAt;
  if (last !== undefined && firedAt < last) return 'duplicate';
  if (last !== undefined && firedAt === last) {
    // This firing was taken before: a retry. Its job is submitted again only if it never came to
    // exist (the first try failed between its claim and the job); the job's creation is
    // conditional on its id, so a try racing the first creates nothing twice.
    if (schedule.lastJobId === undefined || schedule.lastError !== undefined || (await deps.jobs.getJob(schedule.lastJobId))) return 'duplicate';
    return submitRun(schedule, schedule.lastJobId, schedule.lastSince, deps, submit, catalog);
  }
  const previous = schedule.lastJobId !== undefined ? await deps.jobs.getJob(schedule.lastJobId) : null;
  if (previous && !isFinal(previous.status)) {
    const noted = await deps.schedules.recordSkip(schedule.scheduleId, last, firedAt);
    if (noted) deps.log.info('schedule run skipped: the previous run still runs', { scheduleId: schedule.scheduleId, running: previous.jobId });
    return noted ? 'skipped' : 'duplicate';
  }
  // The previous run, once it succeeded, is the one the next compares with; before that the one noted.
  let since = previous?.status === 'succeeded' ? previous.jobId : schedule.lastSucceededJobId;
  // A job past its retention is gone: the run then starts from nothing rather than be refused.
  if (since !== undefined && since !== previous?.jobId && !(await deps.jobs.getJob(since))) since = undefined;
  const claimed = await deps.schedules.claimRun(schedule.scheduleId, last, { firedAt, jobId: newJobId, ...(since !== undefined ? { since, lastSucceededJobId: since } : {}) });
  if (!claimed) return 'duplicate';
  return submitRun(schedule, newJobId, since, deps, submit, catalog);
}

async function submitRun(schedule: ScheduleRecord, jobId: string, since: string | undefined, deps: AppDeps & { schedules: ScheduleStore }, submit: SubmitRun, catalog?: Catalog): Promise<RunOutcome> {
  // The schedule's webhook goes with each run: the run's end is delivered as a crawl's (app/webhook-delivery.ts).
  const frame = { ...schedule.crawl, action: 'crawl', ...(since !== undefined ? { since } : {}), ...(schedule.webhook ? { webhook: schedule.webhook } : {}) };
  try {
    // Parsed again at each run: the stack's limits and defaults of the day apply, as to any crawl.
    const request = parseCrawlRequest(JSON.stringify(frame), { ...deps.limits, maxFrameBytes: Number.MAX_SAFE_INTEGER }, catalog);
    await submit(request, schedule.connectionId, jobId, schedule.owner);
  } catch (error) {
    // Refused as a crawl would be (a quota, an option the stack no longer offers): said on the schedule.
    if (!(error instanceof ClientInputError)) throw error;
    await deps.schedules.recordError(schedule.scheduleId, `${error.code}: ${error.message}`);
    deps.log.info('schedule run refused', { scheduleId: schedule.scheduleId, code: error.code, message: error.message });
    return 'refused';
  }
  deps.log.info('schedule run started', { scheduleId: schedule.scheduleId, jobId, since });
  return 'started';
}
