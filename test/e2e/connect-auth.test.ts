// Token auth on $connect: refused connections never reach a handler; the right token gets in.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { CrawlClient } from '../../local/ws-client.js';
import { countItems, startTestStack } from './harness.js';

let stack: LocalStack;
const lines: string[] = [];

beforeAll(async () => {
  stack = await startTestStack({ workers: 1, authToken: 's3cret-token', log: (line) => lines.push(line) });
});
afterAll(async () => {
  await stack?.stop();
});

it.each([
  ['no token', '', {}, 403],
  ['a wrong token', '/?token=guess', {}, 403],
  ['a wrong bearer header', '', { authorization: 'Bearer guess' }, 403],
])('refuses a connection with %s, before $connect runs', async (_name, path, headers, status) => {
  await expect(CrawlClient.connect(`${stack.wsUrl}${path}`, { headers })).rejects.toThrow(`HTTP ${status}`);
  expect(await countItems(stack, stack.resources.connectionsTable)).toBe(0);
  expect(lines.some((line) => line.startsWith('[connect]'))).toBe(false);
});

it.each([
  ['the query token', '/?token=s3cret-token', {}],
  ['a bearer header', '', { authorization: 'Bearer s3cret-token' }],
])('lets in a client with %s', async (_name, path, headers) => {
  const client = await CrawlClient.connect(`${stack.wsUrl}${path}`, { headers });
  const reply = client.next(() => true, 60_000);
  client.send({ action: 'status', jobId: 'nope' });
  expect(await reply).toMatchObject({ type: 'error', code: 'job_not_found' });
  await client.close();
});
