// The server's messages as zod schemas: what clients (client/), the AsyncAPI document
// (scripts/asyncapi.ts) and checks derive from. messages.ts keeps `ServerMessage` as the type the
// handlers build; the assertions at the end make the two agree, so a message added there and not
// here (or the reverse) fails the type check. Objects are loose: the contract grows by new optional
// fields, and a client built today must read tomorrow's messages.
import { z } from 'zod';
import type { ServerMessage } from './messages.js';

const jobId = z.string().describe('the job id, as `accepted` gave it');
const requestId = z.string().describe("the client's requestId, echoed");
const count = z.number().int().min(0);
const finalStatus = z.enum(['succeeded', 'partial', 'cancelled', 'failed']);

export const acceptedMessage = z.looseObject({
  type: z.literal('accepted'),
  jobId,
  requestId: requestId.optional(),
  cached: z.boolean().describe('answered from an earlier crawl (maxAge): `completed` follows at once'),
  redrive: z.literal(true).optional().describe('the job was restarted by `redrive` (same jobId)'),
  warning: z.string().optional().describe('the job runs, but may not do all it was asked'),
});

export const estimateMessage = z.looseObject({
  type: z.literal('estimate'),
  requestId: requestId.optional(),
  pages: count,
  durationS: z.number().min(0),
  costUsd: z.number().min(0),
});

export const progressMessage = z.looseObject({
  type: z.literal('progress'),
  jobId,
  done: count,
  queued: count,
  failed: count,
  delayed: count.optional().describe('of the queued URLs, those waiting for their host'),
  waiting: z
    .looseObject({ host: z.string(), untilMs: z.number().describe('epoch ms when its URLs are due back') })
    .optional()
    .describe('the host the job waits on'),
});

export const completedMessage = z.looseObject({
  type: z.literal('completed'),
  jobId,
  requestId: requestId.optional(),
  status: finalStatus,
  pages: count,
  failed: count.describe('URLs that failed (robots.txt refusals are not failures: see skipped)'),
  skipped: count.optional().describe('URLs robots.txt disallows, not fetched (manifest `skipped`)'),
  durationMs: count,
  cached: z.boolean(),
  manifestUrl: z.string().describe('presigned GET URL of jobs/{jobId}/manifest.json'),
  resultsUrl: z.string().optional().describe('presigned pages.jsonl, when the job kept content'),
  archiveUrl: z.string().optional().describe('presigned WACZ, when the job asked for the archive format'),
  capped: count.optional().describe('in-scope links left out because of maxPages'),
  reused: count.optional().describe('pages taken from an earlier crawl (maxAge)'),
  estimatedCostUsd: z.number().min(0).optional(),
  endReason: z.string().optional().describe('why the job ended early'),
  blocked: count.optional().describe('pages whose answer was a bot challenge or block page (state `blocked` in the manifest), when any'),
  mostlyBlocked: z.literal(true).optional().describe('more pages were blocked than crawled and failed together'),
  changes: z
    .looseObject({ added: count, changed: count, unchanged: count, removed: count })
    .optional()
    .describe('a `since` crawl: URLs added, changed, unchanged and removed against the earlier job (lists in the manifest\'s `changes`)'),
});

export const statusMessage = z.looseObject({
  type: z.literal('status'),
  jobId,
  requestId: requestId.optional(),
  status: z.enum(['running', 'finishing', 'succeeded', 'partial', 'cancelled', 'failed']),
  done: count,
  queued: count,
  failed: count,
  skipped: count.optional().describe('URLs robots.txt disallows, not fetched'),
  manifestUrl: z.string().optional().describe('presigned manifest, once the job is final'),
  resultsUrl: z.string().optional().describe("a final job's presigned pages.jsonl, when it kept content"),
  archiveUrl: z.string().optional().describe("a final job's presigned WACZ, when it asked for the archive"),
  webhook: z
    .looseObject({
      id: z.string().describe('the webhook-id of every attempt of this delivery'),
      type: z.string().describe('crawl.completed or crawl.failed'),
      state: z.enum(['pending', 'delivered', 'failed']),
      attempts: count,
      lastError: z.string().optional().describe('why the last attempt failed'),
    })
    .optional()
    .describe("where the job's latest webhook delivery stands"),
});

export const errorMessageSchema = z.looseObject({
  type: z.literal('error'),
  code: z.string().describe('stable: invalid_json, invalid_request, job_not_found… (docs/protocol.md)'),
  message: z.string(),
  requestId: requestId.optional(),
  jobId: jobId.optional(),
});

const scheduleId = z.string().describe('the schedule id, as `scheduled` gave it');

export const scheduledMessage = z.looseObject({
  type: z.literal('scheduled'),
  scheduleId,
  requestId: requestId.optional(),
  every: z.string().optional(),
  cron: z.string().optional(),
  expression: z.string().describe('the EventBridge Scheduler expression it runs on, in UTC: rate(…) or cron(…)'),
});

export const unscheduledMessage = z.looseObject({ type: z.literal('unscheduled'), scheduleId, requestId: requestId.optional() });

export const schedulesMessage = z.looseObject({
  type: z.literal('schedules'),
  requestId: requestId.optional(),
  schedules: z.array(
    z.looseObject({
      scheduleId,
      every: z.string().optional(),
      cron: z.string().optional(),
      crawl: z.record(z.string(), z.unknown()).describe('the crawl each run submits'),
      webhook: z.looseObject({ url: z.string(), events: z.array(z.string()).optional() }).optional().describe('where runs are announced (the secret is never shown)'),
      createdAt: z.string(),
      runs: count.describe('runs started'),
      skipped: count.describe('firings skipped because the previous run was still running'),
      lastRunAt: z.string().optional().describe('the scheduled time of the last firing (run or skipped)'),
      lastJobId: jobId.optional().describe("the last run's job"),
      lastSince: jobId.optional().describe("the last run's since: the run before it that succeeded"),
      lastSucceededJobId: jobId.optional(),
      lastSkippedAt: z.string().optional(),
      lastError: z.string().optional().describe('why the last firing started no job, when it did not'),
    }),
  ),
});

/** Every server message by its `type`. */
export const serverMessageSchemas = {
  accepted: acceptedMessage,
  estimate: estimateMessage,
  progress: progressMessage,
  completed: completedMessage,
  status: statusMessage,
  scheduled: scheduledMessage,
  unscheduled: unscheduledMessage,
  schedules: schedulesMessage,
  error: errorMessageSchema,
} as const;

export const serverMessageSchema = z.discriminatedUnion('type', [
  acceptedMessage,
  estimateMessage,
  progressMessage,
  completedMessage,
  statusMessage,
  scheduledMessage,
  unscheduledMessage,
  schedulesMessage,
  errorMessageSchema,
]);

export type AcceptedMessage = z.infer<typeof acceptedMessage>;
export type EstimateMessage = z.infer<typeof estimateMessage>;
export type ProgressMessage = z.infer<typeof progressMessage>;
export type CompletedMessage = z.infer<typeof completedMessage>;
export type StatusMessage = z.infer<typeof statusMessage>;
export type ErrorMessage = z.infer<typeof errorMessageSchema>;
export type ServerMessageOf<T extends keyof typeof serverMessageSchemas> = z.infer<(typeof serverMessageSchemas)[T]>;

// The two descriptions agree: same types, and each message the handlers build fits its schema.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameTypes: Same<ServerMessage['type'], keyof typeof serverMessageSchemas> = true;
type Fits<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }> extends z.input<(typeof serverMessageSchemas)[T]> ? true : false;
const fits: { [T in ServerMessage['type']]: Fits<T> } = { accepted: true, estimate: true, progress: true, completed: true, status: true, scheduled: true, unscheduled: true, schedules: true, error: true };
void sameTypes;
void fits;
