// docs/asyncapi.yaml (issue #32): it is what `npm run asyncapi` makes from the zod schemas today (no
// drift), @asyncapi/parser finds no error or warning in it, it covers every action and every server
// message, and each of its examples is a message the schemas accept. test/e2e/client.test.ts sends
// the client's examples to the local stack.
import { Parser } from '@asyncapi/parser';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../functions/core/limits.js';
import { clientMessageSchemas, KNOWN_ACTIONS } from '../../functions/core/messages.js';
import { serverMessageSchemas } from '../../functions/core/server-messages.js';
import { ANSWERS, asyncapiYaml, requestName } from '../../scripts/asyncapi/document.js';
import { CLIENT_EXAMPLES, SERVER_EXAMPLES } from '../../scripts/asyncapi/examples.js';

const FILE = fileURLToPath(new URL('../../docs/asyncapi.yaml', import.meta.url));

it('is what npm run asyncapi generates from the schemas now', () => {
  expect(readFileSync(FILE, 'utf8'), 'docs/asyncapi.yaml is stale: run `npm run asyncapi`').toBe(asyncapiYaml());
});

it('parses with no error or warning, and covers every action and every server message', async () => {
  const { document, diagnostics } = await new Parser().parse(readFileSync(FILE, 'utf8'));
  // severity 0 = error, 1 = warning (2 and 3 are information and hints: "3.1.0 exists")
  expect(diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`)).toEqual([]);
  expect(document).toBeDefined();
  const messageIds = document!.allMessages().all().map((m) => m.id());
  for (const action of KNOWN_ACTIONS) {
    expect(messageIds).toContain(requestName(action));
    const operation = document!.operations().get(action);
    expect(operation?.action()).toBe('receive');
    expect(operation?.reply()?.messages().all().map((m) => m.id()).sort()).toEqual([...ANSWERS[action]].sort());
  }
  for (const type of Object.keys(serverMessageSchemas)) expect(messageIds).toContain(type);
  for (const message of document!.allMessages().all()) expect(message.examples().length, `${message.id()} has an example`).toBeGreaterThan(0);
}, 120_000);

it("gives each client example its own requestId: the e2e test matches each example's answer by it", () => {
  const ids = KNOWN_ACTIONS.flatMap((action) => CLIENT_EXAMPLES[action]!.map((example) => (example.payload as { requestId?: string }).requestId));
  expect(ids.every((id) => typeof id === 'string')).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
});

it('has examples the schemas accept, for every message', () => {
  const client = clientMessageSchemas(DEFAULT_LIMITS, { extractors: ['metadata', 'article'] });
  for (const action of KNOWN_ACTIONS) {
    expect(CLIENT_EXAMPLES[action]?.length, action).toBeGreaterThan(0);
    for (const example of CLIENT_EXAMPLES[action]!) expect(client[action].safeParse(example.payload).error).toBeUndefined();
  }
  for (const [type, schema] of Object.entries(serverMessageSchemas)) {
    expect(SERVER_EXAMPLES[type]?.length, type).toBeGreaterThan(0);
    for (const example of SERVER_EXAMPLES[type]!) expect(schema.safeParse(example.payload).error).toBeUndefined();
  }
});
