// The heartbeat queue's consumer (app/heartbeat.ts): a light function, one read and at most one
// progress message per running job and interval. A failed message comes back, alone.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { heartbeat, scheduleNext } from '../app/heartbeat.js';
import { appRuntime, logger } from './runtime.js';
import { messageOf } from './sqs-message.js';

const HeartbeatMessage = z.object({ jobId: z.string().min(1).max(64), beat: z.string().min(1).max(64).optional() });

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const { deps } = appRuntime();
  const processor = new BatchProcessor(EventType.SQS);
  return processPartialResponse(
    event,
    async (record: SQSRecord) => {
      const message = messageOf(record, HeartbeatMessage);
      if (!message) {
        logger.warn('malformed heartbeat dropped', { body: record.body.slice(0, 200) });
        return;
      }
      const { jobId, beat } = message;
      const outcome = await heartbeat(jobId, beat, deps);
      if (outcome !== 'stop') await scheduleNext(jobId, outcome.next, deps);
    },
    processor,
  );
};
