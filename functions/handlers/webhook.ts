// The webhook queue's consumer (app/webhook-delivery.ts): a light function, one signed POST per
// message at most, never in a finisher's or a route's time. A message whose attempt fails is not
// failed itself: the next attempt is a new, delayed message; only an error of the stack (DynamoDB,
// SQS) fails the message, which comes back and, after the queue's receive count, goes to its DLQ.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { HttpWebhookSender } from '../adapters/http/webhook-sender.js';
import type { AppDeps } from '../app/deps.js';
import { deliverWebhook } from '../app/webhook-delivery.js';
import { appRuntime, egressGuard, logger } from './runtime.js';
import { messageOf } from './sqs-message.js';

const WebhookMessageSchema = z.object({
  jobId: z.string().min(1).max(64),
  webhookId: z.string().min(1).max(128),
  type: z.enum(['crawl.completed', 'crawl.failed', 'crawl.page']),
  attempt: z.number().int().min(0).max(100),
  dueAt: z.number().int().min(0),
  body: z.string().min(2).max(200_000),
});

let webhookDeps: AppDeps | undefined;

function getWebhookDeps(): AppDeps {
  if (webhookDeps) return webhookDeps;
  const { config, deps } = appRuntime();
  if (!deps.webhooks || !config.webhooks) throw new Error('the webhook function needs WEBHOOK_QUEUE_URL and SECRETS_TABLE');
  // The connection goes to the address the guard checked (a name that resolves to a public address
  // for the check and a private one for the connection gains nothing).
  const sender = new HttpWebhookSender({ guard: egressGuard(config), timeoutMs: config.webhooks.timeoutMs, userAgent: config.userAgent });
  webhookDeps = { ...deps, webhooks: { ...deps.webhooks, sender } };
  return webhookDeps;
}

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const deps = getWebhookDeps();
  const processor = new BatchProcessor(EventType.SQS);
  return processPartialResponse(
    event,
    async (record: SQSRecord) => {
      const message = messageOf(record, WebhookMessageSchema);
      if (!message) {
        // Never logged whole: a body is a job's data, and a malformed one is nobody's delivery.
        logger.warn('malformed webhook message dropped', { messageId: record.messageId });
        return;
      }
      const outcome = await deliverWebhook(message, deps);
      logger.debug('webhook message handled', { jobId: message.jobId, webhookId: message.webhookId, attempt: message.attempt, outcome });
    },
    processor,
  );
};
