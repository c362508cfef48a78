// EventBridge Scheduler, as much of it as the schedule routes use, on 127.0.0.1: CreateSchedule,
// GetSchedule and DeleteSchedule over its REST-JSON wire protocol (so the route's real
// @aws-sdk/client-scheduler calls reach it through AWS_ENDPOINT_URL_SCHEDULER), and a timer per
// schedule that fires the target with the schedule's Input, its `<aws.scheduler.scheduled-time>`
// replaced by the firing's time, as EventBridge does. Rates count from the schedule's creation;
// crons (EventBridge's six fields, UTC) follow the clock.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nextRunAfter, SCHEDULED_TIME_PLACEHOLDER } from '../../functions/core/schedule.js';

export interface SchedulerEmulatorOptions {
  /** runs the target (the local stack's schedule-run function) with the firing's input */
  fire: (input: unknown) => Promise<unknown>;
  /**
   * Test only: how long one minute of a rate(…) expression lasts here; default 60,000 (a real
   * minute). Crons always follow the real clock.
   */
  minuteMs?: number;
  log?: (line: string) => void;
}

interface Entry {
  name: string;
  group: string;
  expression: string;
  input: string;
  createdAt: number;
  timer?: NodeJS.Timeout;
}

export interface SchedulerEmulator {
  endpoint: string;
  /** the schedules that exist now, by name */
  names(): string[];
  /** every firing so far: the schedule and the scheduled time */
  firings(): { name: string; scheduledTime: string }[];
  stop(): Promise<void>;
}

/** what the SDK reads an error from: the x-amzn-errortype header and a JSON body with Message */
function fail(response: ServerResponse, status: number, type: string, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  response.end(JSON.stringify({ Message: message }));
}

async function bodyOf(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function startSchedulerEmulator(options: SchedulerEmulatorOptions): Promise<SchedulerEmulator> {
  const log = options.log ?? (() => {});
  const minuteMs = options.minuteMs ?? 60_000;
  const entries = new Map<string, Entry>();
  const fired: { name: string; scheduledTime: string }[] = [];
  const firing = new Set<Promise<unknown>>();
  let stopped = false;
  const key = (group: string, name: string) => `${group}/${name}`;

  const arm = (entry: Entry) => {
    const now = Date.now();
    const next = nextRunAfter(entry.expression, entry.createdAt, now, minuteMs);
    if (next === undefined || stopped) return;
    // setTimeout holds at most ~24.8 days: a later run is re-armed on the way.
    const wait = Math.min(next - now, 2 ** 31 - 1);
    entry.timer = setTimeout(() => {
      if (Date.now() < next) return arm(entry);
      const scheduledTime = new Date(next).toISOString();
      fired.push({ name: entry.name, scheduledTime });
      const input = JSON.parse(entry.input.replaceAll(SCHEDULED_TIME_PLACEHOLDER, scheduledTime)) as unknown;
      // As EventBridge: the next firing does not wait for this one's target.
      const run = options
        .fire(input)
        .catch((error) => log(`[scheduler] ${entry.name} at ${scheduledTime}: target failed: ${(error as Error).message}`))
        .finally(() => firing.delete(run));
      firing.add(run);
      arm(entry);
    }, wait);
  };

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const match = /^\/schedules\/([^/]+)$/.exec(url.pathname);
      if (!match) return fail(response, 404, 'ResourceNotFoundException', `no such operation: ${request.method} ${url.pathname}`);
      const name = decodeURIComponent(match[1]!);
      if (request.method === 'POST') {
        const body = await bodyOf(request);
        const group = typeof body.GroupName === 'string' ? body.GroupName : 'default';
        const target = body.Target as { Input?: string } | undefined;
        const expression = String(body.ScheduleExpression ?? '');
        if (nextRunAfter(expression, Date.now(), Date.now(), minuteMs) === undefined) return fail(response, 400, 'ValidationException', `unsupported expression ${expression}`);
        if (entries.has(key(group, name))) return fail(response, 409, 'ConflictException', `schedule ${name} already exists`);
        const entry: Entry = { name, group, expression, input: target?.Input ?? '{}', createdAt: Date.now() };
        entries.set(key(group, name), entry);
        arm(entry);
        log(`[scheduler] created ${name}: ${expression}`);
        response.writeHead(200, { 'content-type': 'application/json' });
        return response.end(JSON.stringify({ ScheduleArn: `arn:aws:scheduler:us-east-1:000000000000:schedule/${group}/${name}` }));
      }
      const group = url.searchParams.get('groupName') ?? 'default';
      const entry = entries.get(key(group, name));
      if (!entry) return fail(response, 404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
      if (request.method === 'DELETE') {
        clearTimeout(entry.timer);
        entries.delete(key(group, name));
        log(`[scheduler] deleted ${name}`);
        response.writeHead(200, { 'content-type': 'application/json' });
        return response.end('{}');
      }
      if (request.method === 'GET') {
        response.writeHead(200, { 'content-type': 'application/json' });
        return response.end(JSON.stringify({ Name: name, GroupName: group, ScheduleExpression: entry.expression, State: 'ENABLED', Target: { Input: entry.input } }));
      }
      return fail(response, 405, 'ValidationException', `method ${request.method}`);
    })().catch((error) => fail(response, 500, 'InternalServerException', (error as Error).message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    names: () => [...entries.values()].map((e) => e.name),
    firings: () => [...fired],
    async stop() {
      stopped = true;
      for (const entry of entries.values()) clearTimeout(entry.timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...firing]);
    },
  };
}
