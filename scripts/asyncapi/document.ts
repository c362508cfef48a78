// docs/asyncapi.yaml, built from the protocol's zod schemas (functions/core/messages.ts for what
// clients send, functions/core/server-messages.ts for what the crawler sends) and the examples
// beside this file. `npm run asyncapi` writes it; test/e2e/asyncapi.test.ts fails when it drifts.
import { stringify } from 'yaml';
import { z } from 'zod';
import { EXTRACTOR_NAMES } from '../../functions/adapters/products/registry.js';
import { DEFAULT_LIMITS } from '../../functions/core/limits.js';
import { clientMessageSchemas, KNOWN_ACTIONS } from '../../functions/core/messages.js';
import { serverMessageSchemas } from '../../functions/core/server-messages.js';
import { CLIENT_EXAMPLES, SERVER_EXAMPLES } from './examples.js';

type ServerType = keyof typeof serverMessageSchemas;

/** What the crawler answers each action with (on the same connection, echoing the requestId). */
export const ANSWERS: Record<(typeof KNOWN_ACTIONS)[number], ServerType[]> = {
  crawl: ['accepted', 'estimate', 'error'],
  status: ['status', 'error'],
  cancel: ['status', 'error'],
  redrive: ['accepted', 'error'],
  schedule: ['scheduled', 'error'],
  unschedule: ['unscheduled', 'error'],
  schedules: ['schedules', 'error'],
};

/** What the crawler sends about a job without being asked. */
const PUSHED: ServerType[] = ['progress', 'completed', 'error'];

const ACTION_SUMMARIES: Record<string, string> = {
  crawl: 'Start a crawl (or, with estimate: true, only estimate it)',
  status: "Ask a job's state; from a new connection, the job's events move there",
  cancel: 'End a running job as cancelled',
  redrive: "Crawl a finished job's failed URLs again, in the same job",
  schedule: 'Run a crawl every interval (or on a cron, UTC); each run is a job with since = the previous successful run',
  unschedule: 'Stop a schedule: no more runs (a run under way goes on)',
  schedules: "List the asking client's schedules",
};

const MESSAGE_SUMMARIES: Record<ServerType, string> = {
  accepted: 'A crawl or redrive was accepted',
  estimate: 'What a crawl would take; nothing was crawled',
  progress: "A running job's counts: after settles (throttled), and at least every 60 s",
  completed: 'A job ended: its status, counts and presigned result URLs',
  status: "A job's state, the answer to status and cancel",
  scheduled: 'A schedule was made: its id and the expression it runs on',
  unscheduled: 'A schedule was removed',
  schedules: "The client's schedules, with their runs and skips",
  error: 'A refused request or a failed job action; the connection stays open',
};

/** The client's message component name: `crawlRequest`, … (`status` is also a server message). */
export const requestName = (action: string) => `${action}Request`;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

export function asyncapiDocument(): Record<string, unknown> {
  const client = clientMessageSchemas(DEFAULT_LIMITS, { extractors: EXTRACTOR_NAMES });
  const schemas: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const message = (name: string, schemaName: string, examples: { name: string; summary: string; payload: unknown }[], summary: string) => ({
    name,
    title: name,
    summary,
    contentType: 'application/json',
    payload: { $ref: `#/components/schemas/${schemaName}` },
    examples,
  });
  for (const action of KNOWN_ACTIONS) {
    const schema = jsonSchema(client[action], 'input');
    if (action === 'crawl') {
      const properties = schema.properties as Record<string, Record<string, unknown>>;
      if (properties.extract) properties.extract.description = `an extractor deployed with the stack; this repository's: ${EXTRACTOR_NAMES.join(', ')}`;
      schema.description = 'Exactly one of url and urls. Bounds are the deployed defaults (a stack\'s settings may differ); unknown fields are refused with invalid_request.';
    }
    schemas[requestName(action)] = schema;
    messages[requestName(action)] = message(requestName(action), requestName(action), CLIENT_EXAMPLES[action] ?? [], ACTION_SUMMARIES[action]!);
  }
  for (const type of Object.keys(serverMessageSchemas) as ServerType[]) {
    schemas[type] = jsonSchema(serverMessageSchemas[type], 'output');
    messages[type] = message(type, type, SERVER_EXAMPLES[type] ?? [], MESSAGE_SUMMARIES[type]);
  }
  const channelMessage = (name: string) => ({ $ref: `#/channels/crawler/messages/${name}` });
  const operations: Record<string, unknown> = {};
  for (const action of KNOWN_ACTIONS) {
    operations[action] = {
      action: 'receive',
      title: action,
      summary: ACTION_SUMMARIES[action],
      channel: { $ref: '#/channels/crawler' },
      messages: [channelMessage(requestName(action))],
      reply: { channel: { $ref: '#/channels/crawler' }, messages: ANSWERS[action].map(channelMessage) },
    };
  }
  operations.notify = {
    action: 'send',
    title: 'notify',
    summary: "A job's progress and completion, sent to the connection that follows it",
    channel: { $ref: '#/channels/crawler' },
    messages: PUSHED.map(channelMessage),
  };
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'fanout-crawler WebSocket API',
      version: '1.0.0',
      description:
        'A serverless crawler on AWS: a client asks for a crawl over a WebSocket and gets progress and a completion ' +
        'message back; the pages land in S3 behind presigned URLs. JSON text frames, routed on `action`; every server ' +
        'message has `type`, and `jobId` and the client\'s `requestId` wherever known. This document describes the ' +
        'crawler: it receives the client\'s actions and sends answers and job events. Generated by `npm run asyncapi` ' +
        'from the zod schemas; the prose is in docs/protocol.md.',
    },
    defaultContentType: 'application/json',
    servers: {
      local: { host: '127.0.0.1:8080', protocol: 'ws', description: '`npm start` (no token unless AUTH_TOKEN is set)' },
      aws: {
        host: '{apiId}.execute-api.{region}.amazonaws.com',
        pathname: '/{stage}',
        protocol: 'wss',
        description: 'A deployed stack (`npx cdk deploy` prints its WebSocketUrl)',
        variables: { apiId: { description: 'the API id' }, region: { default: 'us-east-1' }, stage: { default: 'prod' } },
        security: [{ $ref: '#/components/securitySchemes/token' }],
      },
    },
    channels: {
      crawler: {
        address: '/',
        title: 'The WebSocket connection',
        messages: Object.fromEntries(Object.keys(messages).map((name) => [name, { $ref: `#/components/messages/${name}` }])),
      },
    },
    operations,
    components: {
      schemas,
      messages,
      securitySchemes: {
        token: { type: 'httpApiKey', name: 'token', in: 'query', description: 'The connection token (the stack\'s secret); `Authorization: Bearer` also works where headers can be set' },
      },
    },
  };
}

export function asyncapiYaml(): string {
  return `# Generated by \`npm run asyncapi\` (scripts/asyncapi/document.ts) from the zod schemas: do not edit.\n${stringify(asyncapiDocument(), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
