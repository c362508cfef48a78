// The target of every schedule's timer (EventBridge Scheduler on AWS, local/emulators/scheduler.ts
// locally): one firing, one run at most (app/run-schedule.ts), submitted as the crawl route submits.
import { randomUUID } from 'node:crypto';
import { runSchedule, type RunOutcome } from '../app/run-schedule.js';
import { submitCrawl } from '../app/submit-crawl.js';
import { EXTRACTOR_NAMES } from '../adapters/products/registry.js';
import { flushInvocationUsage, functionMemoryMb } from '../adapters/usage/usage-flush.js';
import { InvocationTally, withUsageScope } from '../adapters/usage/usage-meter.js';
import { ANONYMOUS_OWNER } from '../core/owners.js';
import type { ScheduleFiring } from '../core/schedule.js';
import { appRuntime, logger } from './runtime.js';
import { scheduleStore } from './schedule-runtime.js';

export const handler = async (event: ScheduleFiring): Promise<{ outcome: RunOutcome }> => {
  const startedAt = Date.now();
  if (typeof event?.scheduleId !== 'string') throw new Error('a schedule firing carries its scheduleId');
  logger.appendKeys({ scheduleId: event.scheduleId });
  const { config, clients, deps } = appRuntime();
  const outcome = await runSchedule(
    event,
    randomUUID(),
    { ...deps, schedules: scheduleStore() },
    async (request, connectionId, jobId, owner) => {
      // As the crawl route: this invocation and the job's creation are the job's usage.
      const tally = new InvocationTally(startedAt, functionMemoryMb(config.limits.crawlerMemoryMb));
      tally.invokedFor(jobId);
      try {
        await withUsageScope(jobId, tally, () => submitCrawl(request, connectionId, jobId, deps, owner === ANONYMOUS_OWNER ? undefined : owner));
      } finally {
        await flushInvocationUsage(tally, clients.dynamo, config.tables.jobs, logger);
      }
    },
    { extractors: EXTRACTOR_NAMES },
  );
  logger.info('schedule fired', { outcome, scheduledTime: event.scheduledTime });
  return { outcome };
};
