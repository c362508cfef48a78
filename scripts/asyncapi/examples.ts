// One example (or more) of every message, for docs/asyncapi.yaml. The tests check each against its
// schema and send the client's to the local stack (test/e2e/asyncapi.test.ts), so none goes stale.
// URLs name example.com and a made-up job id: the test points them at its own site and job.

export const EXAMPLE_URL = 'https://example.com/';
export const EXAMPLE_JOB_ID = '5f0c6a2e-8f5e-4a54-9d3c-2b1e0c4d7a11';
export const EXAMPLE_SCHEDULE_ID = '9b2d4e6f-1a3c-4e5b-8d7f-0c2e4a6b8d10';
const manifestUrl = `https://results.s3.amazonaws.com/jobs/${EXAMPLE_JOB_ID}/manifest.json?X-Amz-Signature=…`;

/** By component message name: each a list of named payloads. */
export const CLIENT_EXAMPLES: Record<string, { name: string; summary: string; payload: Record<string, unknown> }[]> = {
  crawl: [
    { name: 'crawl', summary: 'A site to depth 2, its pages kept as Markdown', payload: { action: 'crawl', url: EXAMPLE_URL, depth: 2, maxPages: 50, formats: ['html', 'markdown'], requestId: 'r1' } },
    {
      name: 'since',
      summary: 'The same site again, compared with an earlier job: conditional requests first, a change report',
      payload: { action: 'crawl', url: EXAMPLE_URL, depth: 2, formats: ['markdown'], since: EXAMPLE_JOB_ID, requestId: 'r-since' },
    },
    { name: 'estimate', summary: 'What that crawl would take; nothing is crawled', payload: { action: 'crawl', url: EXAMPLE_URL, depth: 2, estimate: true, requestId: 'r2' } },
    {
      name: 'consent',
      summary: "Cookie banners accepted rather than rejected (the default); PDFs and DOCX files read as text",
      payload: { action: 'crawl', url: EXAMPLE_URL, depth: 1, consent: 'accept', formats: ['markdown', 'text'], requestId: 'r-consent' },
    },
    {
      name: 'webhook',
      summary: "A crawl whose end is POSTed, signed (Standard Webhooks), to a receiver (docs/webhooks.md)",
      payload: {
        action: 'crawl',
        url: EXAMPLE_URL,
        depth: 1,
        webhook: { url: `${EXAMPLE_URL}hooks/crawler`, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['completed', 'failed'] },
        requestId: 'r2w',
      },
    },
    {
      name: 'crawl-auto',
      summary: 'Chromium only where a page type needs it (render: "auto"); "http" never starts a browser',
      payload: { action: 'crawl', url: EXAMPLE_URL, depth: 2, render: 'auto', formats: ['html', 'text'], requestId: 'r-auto' },
    },
  ],
  status: [{ name: 'status', summary: "A job's state (from a new connection: its events follow there)", payload: { action: 'status', jobId: EXAMPLE_JOB_ID, requestId: 'r3' } }],
  cancel: [{ name: 'cancel', summary: 'End a running job as cancelled', payload: { action: 'cancel', jobId: EXAMPLE_JOB_ID, requestId: 'r4' } }],
  redrive: [{ name: 'redrive', summary: "Crawl a finished job's failed URLs again", payload: { action: 'redrive', jobId: EXAMPLE_JOB_ID, requestId: 'r5' } }],
  schedule: [
    { name: 'schedule', summary: 'The site every hour, each run against the last successful one', payload: { action: 'schedule', every: '1 hour', crawl: { url: EXAMPLE_URL, depth: 2, formats: ['markdown'] }, requestId: 'r7' } },
    { name: 'scheduleCron', summary: 'Weekdays at 06:30 UTC (Unix cron, five fields)', payload: { action: 'schedule', cron: '30 6 * * 1-5', crawl: { url: EXAMPLE_URL }, requestId: 'r8' } },
  ],
  schedules: [{ name: 'schedules', summary: "The client's schedules", payload: { action: 'schedules', requestId: 'r9' } }],
  unschedule: [{ name: 'unschedule', summary: 'No more runs of a schedule', payload: { action: 'unschedule', scheduleId: EXAMPLE_SCHEDULE_ID, requestId: 'r10' } }],
};

export const SERVER_EXAMPLES: Record<string, { name: string; summary: string; payload: Record<string, unknown> }[]> = {
  accepted: [{ name: 'accepted', summary: 'The job started', payload: { type: 'accepted', jobId: EXAMPLE_JOB_ID, requestId: 'r1', cached: false } }],
  estimate: [{ name: 'estimate', summary: 'The answer to estimate: true', payload: { type: 'estimate', requestId: 'r2', pages: 50, durationS: 40, costUsd: 0.004 } }],
  progress: [
    {
      name: 'progress',
      summary: 'Counts, while URLs wait for their host',
      payload: { type: 'progress', jobId: EXAMPLE_JOB_ID, done: 3, queued: 40, failed: 0, delayed: 37, waiting: { host: 'example.com', untilMs: 1765130012000 } },
    },
  ],
  completed: [
    {
      name: 'completed',
      summary: 'The job ended; its manifest is at manifestUrl',
      payload: {
        type: 'completed',
        jobId: EXAMPLE_JOB_ID,
        requestId: 'r1',
        status: 'succeeded',
        pages: 11,
        failed: 0,
        durationMs: 4210,
        cached: false,
        manifestUrl,
        resultsUrl: manifestUrl.replace('manifest.json', 'pages.jsonl'),
        estimatedCostUsd: 0.0009,
      },
    },
    {
      name: 'completed-blocked',
      summary: 'The site answered most pages with a bot challenge: the job says so',
      payload: {
        type: 'completed',
        jobId: EXAMPLE_JOB_ID,
        requestId: 'r1',
        status: 'partial',
        pages: 1,
        failed: 0,
        durationMs: 3120,
        cached: false,
        manifestUrl,
        estimatedCostUsd: 0.0002,
        blocked: 4,
        mostlyBlocked: true,
      },
    },
    {
      name: 'completedSince',
      summary: 'A `since` crawl ended: what changed against the earlier job',
      payload: {
        type: 'completed',
        jobId: EXAMPLE_JOB_ID,
        requestId: 'r-since',
        status: 'succeeded',
        pages: 11,
        failed: 0,
        durationMs: 1900,
        cached: false,
        manifestUrl,
        resultsUrl: manifestUrl.replace('manifest.json', 'pages.jsonl'),
        estimatedCostUsd: 0.0003,
        changes: { added: 1, changed: 1, unchanged: 9, removed: 1 },
      },
    },
  ],
  status: [
    { name: 'status', summary: 'A finished job, with its manifest', payload: { type: 'status', jobId: EXAMPLE_JOB_ID, requestId: 'r3', status: 'succeeded', done: 11, queued: 0, failed: 0, manifestUrl } },
    {
      name: 'status-webhook',
      summary: 'A finished job that skipped a URL robots.txt disallows, and whose webhook delivery succeeded on its third attempt',
      payload: {
        type: 'status',
        jobId: EXAMPLE_JOB_ID,
        requestId: 'r3',
        status: 'succeeded',
        done: 11,
        queued: 0,
        failed: 0,
        skipped: 1,
        manifestUrl,
        webhook: { id: 'msg_5f0c6a2e8f5e4a549d3c2b1e0c4d7a11_0', type: 'crawl.completed', state: 'delivered', attempts: 3 },
      },
    },
  ],
  scheduled: [{ name: 'scheduled', summary: 'The schedule runs every hour', payload: { type: 'scheduled', scheduleId: EXAMPLE_SCHEDULE_ID, requestId: 'r7', every: '1 hour', expression: 'rate(1 hour)' } }],
  unscheduled: [{ name: 'unscheduled', summary: 'No more runs', payload: { type: 'unscheduled', scheduleId: EXAMPLE_SCHEDULE_ID, requestId: 'r10' } }],
  schedules: [
    {
      name: 'schedules',
      summary: 'One schedule, run twice, skipped once',
      payload: {
        type: 'schedules',
        requestId: 'r9',
        schedules: [
          {
            scheduleId: EXAMPLE_SCHEDULE_ID,
            every: '1 hour',
            crawl: { url: EXAMPLE_URL, depth: 2 },
            createdAt: '2026-12-07T10:00:00.000Z',
            runs: 2,
            skipped: 1,
            lastRunAt: '2026-12-07T13:00:00.000Z',
            lastJobId: EXAMPLE_JOB_ID,
            lastSkippedAt: '2026-12-07T12:00:00.000Z',
          },
        ],
      },
    },
  ],
  error: [{ name: 'error', summary: 'A refused request; the connection stays open', payload: { type: 'error', code: 'invalid_url', message: 'url: unsupported scheme "ftp" (only http and https)', requestId: 'r6' } }],
};
