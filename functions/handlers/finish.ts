// The finisher: one message `{jobId}` at a time (batch size 1) from its own queue, with the memory
// and the time a big job's end needs (manifest, pages.jsonl, the WACZ; app/finish-job.ts). Whoever
// wins a job's transition to `finishing` only sends the message. The same function does the heavy
// part of two routes, asked by `{kind: 'redrive' | 'reuse', jobId}` (app/redrive-run.ts, app/reuse-run.ts).
//   - One finisher at a time per job: a lease in the job's checkpoint item, held for the rest of
//     this invocation. A duplicate request that finds it held is dropped: if the holder dies, its
//     own message comes back after the queue's visibility timeout, which outlasts the invocation.
//   - A finisher that dies or times out resumes from its checkpoint (adapters/archive/resumable-wacz.ts).
//   - A failure releases the lease and fails the message: it comes back, and after the queue's
//     receive count goes to the DLQ (alarmed); the sweeper asks again for a job still finishing.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { faultInjector } from '../adapters/faults.js';
import { noFaults, type FaultInjector } from '../core/ports.js';
import type { AppDeps } from '../app/deps.js';
import { DynamoHostRateGate } from '../adapters/dynamodb/host-rate-gate.js';
import { runFinish } from '../app/finish-job.js';
import { continueRedrive } from '../app/redrive-run.js';
import { continueReuse } from '../app/reuse-run.js';
import { appRuntime, environmentId, finishCheckpoints, logger, waczAssembler } from './runtime.js';

const FinishMessageSchema = z.union([
  z.object({ jobId: z.string().min(1), kind: z.literal('finish').optional() }),
  // A route's heavy work (core/ports.ts FinisherWork): no finish lease, each is idempotent itself.
  z.object({ jobId: z.string().min(1), kind: z.literal('redrive'), run: z.number().int().positive() }),
  z.object({ jobId: z.string().min(1), kind: z.literal('reuse') }),
]);

let finisherDeps: AppDeps | undefined;
let faults: FaultInjector = noFaults;

function getFinisherDeps(): AppDeps {
  if (finisherDeps) return finisherDeps;
  const { config, deps, clients } = appRuntime();
  faults = faultInjector(config.finisher.faults, logger, config.faultsStateDir);
  finisherDeps = {
    ...deps,
    // read only: each host's shared rate for the manifest's `hosts` (BatchGetItem on the jobs table)
    hostRate: new DynamoHostRateGate(clients.dynamo, config.tables.jobs, deps.clock),
    archives: waczAssembler(config, clients, deps, { afterPart: (parts) => faults.hit('finisher-mid-archive', { url: '', attempt: parts }) }),
  };
  return finisherDeps;
}

const processor = new BatchProcessor(EventType.SQS);
/** the lease outlives this invocation by a little: a clock a second off must not free it early */
const LEASE_MARGIN_MS = 5_000;

function recordHandler(context: Context) {
  return async (record: SQSRecord): Promise<void> => {
    const message = FinishMessageSchema.safeParse(safeJson(record.body));
    if (!message.success) {
      logger.error('malformed finish message dropped', { messageId: record.messageId, body: record.body.slice(0, 500) });
      return;
    }
    const { jobId } = message.data;
    const { config, clients } = appRuntime();
    const deps = getFinisherDeps();
    if (message.data.kind === 'redrive' || message.data.kind === 'reuse') {
      // A failure fails the message: it comes back after the visibility timeout and resumes.
      const outcome =
        message.data.kind === 'redrive'
          ? await continueRedrive(jobId, message.data.run, deps, (chunks) => faults.hit('redrive-mid-requeue', { url: jobId, attempt: chunks }))
          : await continueReuse(jobId, deps, () => faults.hit('reuse-before-send', { url: jobId, attempt: 1 }));
      logger.info(`${message.data.kind} request handled`, { jobId, outcome, receiveCount: record.attributes.ApproximateReceiveCount });
      return;
    }
    const checkpoints = finishCheckpoints(config, clients, deps);
    const now = deps.clock.now();
    if (!(await checkpoints.lease(jobId, environmentId, now, now + context.getRemainingTimeInMillis() + LEASE_MARGIN_MS))) {
      logger.info('another finisher holds this job; request dropped', { jobId });
      return;
    }
    try {
      const outcome = await runFinish(jobId, deps);
      logger.info('finish request handled', { jobId, outcome, receiveCount: record.attributes.ApproximateReceiveCount });
    } catch (error) {
      logger.error('finish failed; the request comes back after the visibility timeout', {
        jobId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      throw error;
    } finally {
      await checkpoints.release(jobId, environmentId);
    }
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, recordHandler(context), processor, { context, throwOnFullBatchFailure: false });
