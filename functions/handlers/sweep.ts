// Scheduled: ends jobs past their time limit or stalled, and completes interrupted finishes (see
// app/sweep-jobs.ts). A job it cannot handle now is logged there and tried again on the next run.
import { sweepJobs, type SweepResult } from '../app/sweep-jobs.js';
import { appRuntime, logger } from './runtime.js';

export const handler = async (): Promise<SweepResult> => {
  const result = await sweepJobs(appRuntime().deps);
  logger.info('sweep done', { ...result });
  return result;
};
