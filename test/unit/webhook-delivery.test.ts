// The webhook's rules (core/webhook.ts) and one delivery's steps (app/webhook-delivery.ts) against
// in-memory ports: which event an end makes, the stable id, the retry schedule in SQS-sized hops,
// a duplicate attempt dropped, the end recorded. The real queue, table and receiver are
// exercised end to end in test/e2e/webhooks.test.ts.
import { describe, expect, it } from 'vitest';
import { deliverWebhook, endBody, originOf } from '../../functions/app/webhook-delivery.js';
import type { AppDeps } from '../../functions/app/deps.js';
import {
  DEFAULT_WEBHOOK_RETRY_SECONDS,
  endEventOf,
  eventsOf,
  hopDelaySeconds,
  parseRetrySchedule,
  retryDelaySeconds,
  retryWindowSeconds,
  webhookIdOf,
  type WebhookDelivery,
  type WebhookMessage,
  type WebhookTarget,
} from '../../functions/core/webhook.js';
import { parseCrawlRequest } from '../../functions/core/messages.js';
import { DEFAULT_LIMITS } from '../../functions/core/limits.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('webhook rules', () => {
  it('makes crawl.failed of a failed run and crawl.completed of any other, when asked for', () => {
    expect(endEventOf('failed', ['completed', 'failed'])).toBe('crawl.failed');
    for (const status of ['succeeded', 'partial', 'cancelled'] as const) expect(endEventOf(status, ['completed', 'failed'])).toBe('crawl.completed');
    expect(endEventOf('failed', ['completed'])).toBeNull();
    expect(endEventOf('succeeded', ['failed'])).toBeNull();
    expect(eventsOf({})).toEqual(['completed', 'failed']);
  });

  it('keeps one id per job and run', () => {
    const id = webhookIdOf('5f0c6a2e-8f5e-4a54-9d3c-2b1e0c4d7a11', 0);
    expect(id).toBe(webhookIdOf('5f0c6a2e-8f5e-4a54-9d3c-2b1e0c4d7a11', 0));
    expect(id).not.toBe(webhookIdOf('5f0c6a2e-8f5e-4a54-9d3c-2b1e0c4d7a11', 1));
    expect(id).toMatch(/^msg_[0-9a-f]{32}_0$/);
  });

  it('retries for over an hour by default, in hops of at most 900 s', () => {
    expect(retryWindowSeconds(DEFAULT_WEBHOOK_RETRY_SECONDS)).toBeGreaterThanOrEqual(3600);
    expect(DEFAULT_WEBHOOK_RETRY_SECONDS.map((_, i) => retryDelaySeconds(i + 1, DEFAULT_WEBHOOK_RETRY_SECONDS))).toEqual([...DEFAULT_WEBHOOK_RETRY_SECONDS]);
    expect(retryDelaySeconds(DEFAULT_WEBHOOK_RETRY_SECONDS.length + 1, DEFAULT_WEBHOOK_RETRY_SECONDS)).toBeNull();
    expect(hopDelaySeconds(7_200_000, 0)).toBe(900);
    expect(hopDelaySeconds(1_500, 0)).toBe(2);
    expect(hopDelaySeconds(0, 10)).toBe(0);
    expect(parseRetrySchedule(undefined)).toBe(DEFAULT_WEBHOOK_RETRY_SECONDS);
    expect(parseRetrySchedule('1, 2,3')).toEqual([1, 2, 3]);
    expect(() => parseRetrySchedule('1,x')).toThrow();
  });

  it('validates webhook on crawl, naming the field, and never echoes the secret', () => {
    const parse = (webhook: unknown) => parseCrawlRequest(JSON.stringify({ action: 'crawl', url: 'http://s.test/', webhook }), DEFAULT_LIMITS);
    expect(parse({ url: 'http://h.test/x', secret: SECRET }).webhook).toEqual({ url: 'http://h.test/x', secret: SECRET, events: ['completed', 'failed'] });
    expect(parse({ url: 'http://h.test/x', secret: SECRET, events: ['failed', 'failed'] }).webhook?.events).toEqual(['failed']);
    for (const [webhook, field] of [
      [{ url: 'ftp://h.test/', secret: SECRET }, 'webhook.url'],
      [{ secret: SECRET }, 'webhook.url'],
      [{ url: 'http://h.test/', secret: 'whsec_short' }, 'webhook.secret'],
      [{ url: 'http://h.test/', secret: SECRET, events: ['finished'] }, 'webhook.events'],
      ['http://h.test/', 'webhook'],
    ] as const) {
      let message = '';
      try {
        parse(webhook);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, JSON.stringify(webhook)).toContain(field);
      expect(message).not.toContain(SECRET.slice(6));
    }
  });

  it('makes the body from completed, counts and URLs included', () => {
    const body = endBody(
      'crawl.completed',
      { type: 'completed', jobId: 'j', status: 'partial', pages: 3, failed: 1, skipped: 2, durationMs: 5, cached: false, manifestUrl: 'https://m', resultsUrl: 'https://r', capped: 4 },
      0,
    );
    expect(body).toEqual({
      type: 'crawl.completed',
      timestamp: '1970-01-01T00:00:00.000Z',
      data: { jobId: 'j', status: 'partial', counts: { pages: 3, failed: 1, skipped: 2, capped: 4 }, manifestUrl: 'https://m', resultsUrl: 'https://r' },
    });
    expect(originOf('https://h.test:8443/hook?token=secret')).toBe('https://h.test:8443');
  });
});

/** In-memory ports of one delivery; `answers` are the receiver's, attempt by attempt. */
function world(answers: ({ status: number } | { status: null; error: string })[], schedule = [5, 1800]) {
  let now = 1_000_000;
  const sent: { message: WebhookMessage; delay: number }[] = [];
  const posts: { webhookId: string; body: string }[] = [];
  let delivery: WebhookDelivery | null = null;
  let target: WebhookTarget | null = { url: 'https://h.test/hook', secret: SECRET, events: ['completed', 'failed'] };
  const logs: string[] = [];
  const log = (message: string, extra?: unknown) => logs.push(`${message} ${JSON.stringify(extra)}`);
  const deps = {
    clock: { now: () => now },
    log: { debug: log, info: log, warn: log, error: log },
    webhooks: {
      retrySeconds: schedule,
      queue: { send: async (message: WebhookMessage, delay: number) => void sent.push({ message, delay }) },
      store: {
        putTarget: async () => {},
        getTarget: async () => target,
        deleteTarget: async () => void (target = null),
        getDelivery: async () => delivery,
        recordDelivery: async (_jobId: string, d: WebhookDelivery) => {
          if (delivery && delivery.webhookId === d.webhookId && delivery.state !== 'pending') return false;
          delivery = d;
          return true;
        },
      },
      sender: {
        post: async (_t: unknown, message: { webhookId: string; body: string }) => {
          posts.push(message);
          return answers.shift() ?? { status: 204 };
        },
      },
    },
  } as unknown as AppDeps;
  const first: WebhookMessage = { jobId: 'j', webhookId: 'msg_j_0', type: 'crawl.completed', attempt: 0, dueAt: now, body: '{"type":"crawl.completed"}' };
  return {
    deps,
    first,
    sent,
    posts,
    logs,
    delivery: () => delivery,
    advance: (ms: number) => void (now += ms),
    forgetTarget: () => void (target = null),
  };
}

describe('one delivery', () => {
  it('retries a failed attempt after the schedule, in hops, with the same id and body; records the end', async () => {
    const w = world([{ status: 500 }, { status: null, error: 'no answer within 10000 ms' }, { status: 204 }]);
    expect(await deliverWebhook(w.first, w.deps)).toBe('retrying');
    expect(w.delivery()).toMatchObject({ state: 'pending', attempts: 1, lastError: 'HTTP 500' });
    expect(w.sent).toEqual([{ message: { ...w.first, attempt: 1, dueAt: w.first.dueAt + 5_000 }, delay: 5 }]);
    w.advance(5_000);
    expect(await deliverWebhook(w.sent[0]!.message, w.deps)).toBe('retrying');
    // 1800 s is two hops: the first one only waits
    expect(w.sent[1]).toMatchObject({ message: { attempt: 2 }, delay: 900 });
    w.advance(900_000);
    expect(await deliverWebhook(w.sent[1]!.message, w.deps)).toBe('waiting');
    expect(w.posts).toHaveLength(2);
    expect(w.sent[2]).toMatchObject({ message: { attempt: 2 }, delay: 900 });
    w.advance(900_000);
    expect(await deliverWebhook(w.sent[2]!.message, w.deps)).toBe('delivered');
    expect(w.delivery()).toMatchObject({ state: 'delivered', attempts: 3, webhookId: 'msg_j_0' });
    expect(new Set(w.posts.map((p) => `${p.webhookId} ${p.body}`)).size).toBe(1);
    // A duplicate of an earlier attempt is dropped, not posted again.
    expect(await deliverWebhook(w.first, w.deps)).toBe('duplicate');
    expect(w.posts).toHaveLength(3);
    expect(w.logs.join('\n')).not.toContain(SECRET.slice(6));
  });

  it('gives up after the schedule and records why', async () => {
    const w = world([{ status: 503 }, { status: 503 }, { status: 503 }], [1, 1]);
    let message = w.first;
    for (const expected of ['retrying', 'retrying', 'failed']) {
      expect(await deliverWebhook(message, w.deps)).toBe(expected);
      w.advance(1_000);
      message = w.sent.at(-1)!.message;
    }
    expect(w.delivery()).toMatchObject({ state: 'failed', attempts: 3, lastError: 'HTTP 503' });
    expect(w.sent).toHaveLength(2);
  });

  it('records a delivery whose receiver is no longer stored as failed, without posting', async () => {
    const w = world([]);
    w.forgetTarget();
    expect(await deliverWebhook(w.first, w.deps)).toBe('failed');
    expect(w.posts).toHaveLength(0);
    expect(w.delivery()).toMatchObject({ state: 'failed', attempts: 1 });
  });
});
