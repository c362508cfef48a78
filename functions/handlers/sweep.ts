// Scheduled: ends jobs past their time limit or stalled (see app/sweep-jobs.ts).
import { sweepJobs } from '../app/sweep-jobs.js';
import { appRuntime, logger } from './runtime.js';

export const handler = async (): Promise<{ checked: number; ended: string[] }> => {
  const result = await sweepJobs(appRuntime().deps);
  logger.info('sweep done', result);
  return result;
};
