// The end of an invocation: what it used for each job and did not write with a settle or a release
// (usage-meter.ts) is added to one of the job's counter shards (the job item when their number is
// not known here), one update per job, in parallel. A job that ended meanwhile gets it too (its
// manifest counted what was written before its last settle).
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_CRAWLER_MEMORY_MB } from '../../core/limits.js';
import type { Logger } from '../../core/ports.js';
import { addUsage } from '../../core/usage.js';
import { addJobUsage } from '../dynamodb/job-usage.js';
import { knownCounterShards, type InvocationTally } from './usage-meter.js';

/** This function's memory (MB): Lambda's own setting where it runs, else the configured crawler's. */
export function functionMemoryMb(configured: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const own = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  return Number.isFinite(own) && own > 0 ? own : configured ?? DEFAULT_CRAWLER_MEMORY_MB;
}

export async function flushInvocationUsage(tally: InvocationTally, db: DynamoDBDocumentClient, jobsTable: string, log: Logger): Promise<void> {
  const owed = tally.drain(Date.now());
  await Promise.all(
    [...owed].map(([jobId, counts]) =>
      // The update itself is a write unit (not seen by the meter: its counts are taken already).
      addJobUsage(db, jobsTable, jobId, addUsage({ dynamoWriteUnits: 1 }, counts), knownCounterShards(jobId)).catch((error: unknown) =>
        // Usage is an estimate: a lost flush is logged, never a failed batch.
        log.warn('could not record usage', { jobId, error: String(error) }),
      ),
    ),
  );
}
