// Webhook deliveries (core/webhook.ts): queued when a job's run ends, tried by their own light
// function (functions/handlers/webhook.ts) off the finisher's and the routes' time.
//
// - The finisher queues the run's end after writing the manifest and before making the job final
//   (a finisher that dies in between and is resumed queues it again: same webhook-id, and the
//   delivery function drops what it has already delivered). A crawl answered from the result cache
//   queues its end from the crawl route.
// - Each attempt is one message. A failed attempt (non-2xx, a timeout, no answer) sends the next
//   attempt with the retry schedule's delay, in hops of at most 900 s (SQS's longest delay); after
//   the last it is recorded `failed` on the job item, which `status` shows. The message is sent
//   before the state is recorded: a function that dies in between leaves a duplicate attempt (same
//   id), never a lost one; a duplicate chain stops at the job item's attempt count.
// - A schedule's run (#29, schedules) submits a crawl with the same `webhook`: nothing else to do.
import type { FinalStatus, JobRecord } from '../core/job.js';
import { ClientInputError, ErrorCode } from '../core/errors.js';
import type { ServerMessage } from '../core/messages.js';
import {
  endEventOf,
  hopDelaySeconds,
  retryDelaySeconds,
  webhookIdOf,
  type WebhookBody,
  type WebhookDelivery,
  type WebhookMessage,
  type WebhookTarget,
} from '../core/webhook.js';
import type { AppDeps } from './deps.js';

type Completed = Extract<ServerMessage, { type: 'completed' }>;

/** The receiver's origin: what logs may say of it (its path or query may hold a token). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'unparseable';
  }
}

/**
 * For `crawl` with a `webhook`: the URL passes the egress guard as a crawled URL would (no private
 * addresses on AWS, loopback allowed locally) and the receiver and secret are kept in the secrets
 * table until the job's records expire. Returns what the job item keeps (the events only).
 */
export async function keepWebhook(jobId: string, target: WebhookTarget, expiresAt: number, deps: AppDeps, requestId?: string): Promise<{ events: WebhookTarget['events'] }> {
  const hooks = deps.webhooks;
  if (!hooks) throw new ClientInputError(ErrorCode.invalidRequest, 'webhook: this stack does not deliver webhooks', requestId);
  if (target.events.includes('page')) {
    throw new ClientInputError(ErrorCode.invalidRequest, 'webhook.events: "page" is not delivered by this stack; use "completed" and "failed"', requestId);
  }
  if (hooks.checkUrl) {
    const verdict = await hooks.checkUrl(target.url);
    if (!verdict.allowed) throw new ClientInputError(ErrorCode.invalidRequest, `webhook.url: refused: ${verdict.reason}`, requestId);
  }
  await hooks.store.putTarget(jobId, target, expiresAt);
  return { events: target.events };
}

/** The body of a run's end, made from the `completed` its client gets (so it carries what that carries, `changes` included). */
export function endBody(type: WebhookBody['type'], completed: Completed, finishedAt: number): WebhookBody {
  const extra = completed as Completed & { changes?: WebhookBody['data']['changes'] };
  return {
    type,
    timestamp: new Date(finishedAt).toISOString(),
    data: {
      jobId: completed.jobId,
      status: completed.status,
      counts: {
        pages: completed.pages,
        failed: completed.failed,
        skipped: completed.skipped ?? 0,
        ...(completed.capped !== undefined ? { capped: completed.capped } : {}),
        ...(completed.reused !== undefined ? { reused: completed.reused } : {}),
      },
      ...(extra.changes !== undefined ? { changes: extra.changes } : {}),
      manifestUrl: completed.manifestUrl,
      ...(completed.resultsUrl !== undefined ? { resultsUrl: completed.resultsUrl } : {}),
      ...(completed.archiveUrl !== undefined ? { archiveUrl: completed.archiveUrl } : {}),
    },
  };
}

/**
 * Queues the delivery of a run's end when the job has a webhook that wants it. Never fails the
 * caller for a delivery's sake: the job ends either way (a lost queueing is logged).
 */
export async function queueRunEnd(job: JobRecord, status: FinalStatus, completed: ServerMessage, deps: AppDeps): Promise<void> {
  if (!job.webhook || !deps.webhooks || completed.type !== 'completed') return;
  const type = endEventOf(status, job.webhook.events);
  if (!type) return;
  const finishedAt = job.finishedAt ?? deps.clock.now();
  const message: WebhookMessage = {
    jobId: job.jobId,
    webhookId: webhookIdOf(job.jobId, job.redrives ?? 0),
    type,
    attempt: 0,
    dueAt: deps.clock.now(),
    body: JSON.stringify(endBody(type, completed, finishedAt)),
  };
  try {
    await deps.webhooks.queue.send(message, 0);
    deps.log.info('webhook queued', { jobId: job.jobId, webhookId: message.webhookId, type });
  } catch (error) {
    deps.log.error('could not queue the webhook', { jobId: job.jobId, webhookId: message.webhookId, error: String(error) });
  }
}

export type DeliveryOutcome = 'waiting' | 'delivered' | 'retrying' | 'failed' | 'duplicate';

/** One attempt of a delivery (the webhook function, for each message). */
export async function deliverWebhook(message: WebhookMessage, deps: AppDeps): Promise<DeliveryOutcome> {
  const hooks = deps.webhooks;
  if (!hooks?.sender) throw new Error('this function has no webhook sender');
  const now = deps.clock.now();
  // Not due yet: one more hop (a wait longer than SQS's longest delay).
  if (message.dueAt > now + 1000) {
    await hooks.queue.send(message, hopDelaySeconds(message.dueAt, now));
    return 'waiting';
  }
  const { jobId, webhookId } = message;
  const current = await hooks.store.getDelivery(jobId);
  if (current && current.webhookId === webhookId && (current.state !== 'pending' || current.attempts > message.attempt)) {
    deps.log.info('webhook attempt already made or delivery over; dropped', { jobId, webhookId, attempt: message.attempt, state: current.state });
    return 'duplicate';
  }
  const attempts = message.attempt + 1;
  const record = (state: WebhookDelivery['state'], lastError?: string) =>
    hooks.store.recordDelivery(jobId, { webhookId, type: message.type, state, attempts, ...(lastError !== undefined ? { lastError } : {}), at: now });
  const target = await hooks.store.getTarget(jobId);
  if (!target) {
    await record('failed', 'the webhook is no longer stored (its job expired)');
    deps.log.warn('webhook target gone; delivery given up', { jobId, webhookId });
    return 'failed';
  }
  const answer = await hooks.sender.post(target, message, new Date(now));
  const receiver = originOf(target.url);
  if (answer.status !== null && answer.status >= 200 && answer.status < 300) {
    await record('delivered');
    deps.log.info('webhook delivered', { jobId, webhookId, type: message.type, attempts, receiver, status: answer.status });
    return 'delivered';
  }
  const lastError = answer.status !== null ? `HTTP ${answer.status}` : (answer.error ?? 'no answer');
  const delay = retryDelaySeconds(attempts, hooks.retrySeconds);
  if (delay === null) {
    await record('failed', lastError);
    deps.log.warn('webhook delivery failed; given up', { jobId, webhookId, type: message.type, attempts, receiver, lastError });
    return 'failed';
  }
  // The next attempt first, then the state: a crash in between repeats an attempt, never loses one.
  const dueAt = now + delay * 1000;
  await hooks.queue.send({ ...message, attempt: attempts, dueAt }, hopDelaySeconds(dueAt, now));
  await record('pending', lastError);
  deps.log.info('webhook attempt failed; retried later', { jobId, webhookId, attempts, receiver, lastError, retryInSeconds: delay });
  return 'retrying';
}

/** What `status` says of the job's latest delivery. */
export function deliveryAnswer(delivery: WebhookDelivery | undefined): { webhook: { id: string; type: string; state: WebhookDelivery['state']; attempts: number; lastError?: string } } | Record<string, never> {
  if (!delivery) return {};
  return {
    webhook: {
      id: delivery.webhookId,
      type: delivery.type,
      state: delivery.state,
      attempts: delivery.attempts,
      ...(delivery.lastError !== undefined ? { lastError: delivery.lastError } : {}),
    },
  };
}
