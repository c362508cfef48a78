// Token auth on $connect: refused connections never reach a handler; the right token gets in.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { RawSocket } from './support/raw-socket.js';
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
  await expect(RawSocket.connect(`${stack.wsUrl}${path}`, { headers })).rejects.toThrow(`HTTP ${status}`);
  expect(await countItems(stack, stack.resources.connectionsTable)).toBe(0);
  expect(lines.some((line) => line.startsWith('[connect]'))).toBe(false);
});

it.each([
  ['the query token', '/?token=s3cret-token', {}],
  ['a bearer header', '', { authorization: 'Bearer s3cret-token' }],
])('lets in a client with %s', async (_name, path, headers) => {
  const client = await RawSocket.connect(`${stack.wsUrl}${path}`, { headers });
  const reply = client.next(() => true, 60_000);
  client.send({ action: 'status', jobId: '5d1c9e3a-7b2f-4a6d-9c8e-1f0a2b3c4d5e' });
  expect(await reply).toMatchObject({ type: 'error', code: 'job_not_found' });
  await client.close();
});

it.each([
  ['another site', 'https://evil.example', 403],
  ['a private address', 'http://192.168.1.20:8080', 403],
  ['an unparseable origin', 'null', 403],
])('refuses a browser page of %s even with the right token (cross-site WebSocket)', async (_name, origin, status) => {
  await expect(RawSocket.connect(`${stack.wsUrl}/?token=s3cret-token`, { headers: { origin } })).rejects.toThrow(`HTTP ${status}`);
  expect(lines.some((line) => line.includes(`refused a WebSocket from origin ${origin}`))).toBe(true);
});

it('lets in a page served from this machine (the console)', async () => {
  const client = await RawSocket.connect(`${stack.wsUrl}/?token=s3cret-token`, { headers: { origin: 'http://127.0.0.1:8080' } });
  const reply = client.next(() => true, 60_000);
  client.send({ action: 'status', jobId: '5d1c9e3a-7b2f-4a6d-9c8e-1f0a2b3c4d5e' });
  expect(await reply).toMatchObject({ type: 'error', code: 'job_not_found' });
  await client.close();
});
