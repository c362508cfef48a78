// Bad input over a real WebSocket: each frame gets a typed error naming the problem, the
// connection stays usable, and nothing is created anywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { RawSocket } from './support/raw-socket.js';
import { countItems, countObjects, queueDepth, startTestStack } from './harness.js';

let stack: LocalStack;
let client: RawSocket;

beforeAll(async () => {
  stack = await startTestStack({ workers: 1 });
  client = await RawSocket.connect(stack.wsUrl);
});

afterAll(async () => {
  await client?.close();
  await stack?.stop();
});

const cases: [string, string, string, RegExp][] = [
  ['invalid JSON', '{"action":"crawl",', 'invalid_json', /not valid JSON/],
  ['unknown action', '{"action":"explode","requestId":"r-unknown"}', 'unknown_action', /unknown action "explode"/],
  ['no action', '{"url":"http://127.0.0.1/"}', 'invalid_message', /no "action"/],
  ['missing URL', '{"action":"crawl","requestId":"r-missing"}', 'invalid_request', /url/],
  ['non-http URL', '{"action":"crawl","url":"ftp://127.0.0.1/file"}', 'invalid_url', /unsupported scheme "ftp"/],
  ['javascript URL', '{"action":"crawl","url":"javascript:alert(1)"}', 'invalid_url', /unsupported scheme "javascript"/],
  ['relative URL', '{"action":"crawl","url":"/just/a/path"}', 'invalid_url', /not a valid URL/],
  ['negative depth', '{"action":"crawl","url":"http://127.0.0.1/","depth":-1}', 'invalid_request', /depth/],
  ['too-large depth', '{"action":"crawl","url":"http://127.0.0.1/","depth":1000}', 'invalid_request', /depth/],
  ['string depth', '{"action":"crawl","url":"http://127.0.0.1/","depth":"2"}', 'invalid_request', /depth/],
  ['too-large maxPages', '{"action":"crawl","url":"http://127.0.0.1/","maxPages":100000000}', 'invalid_request', /maxPages/],
  ['unknown field', '{"action":"crawl","url":"http://127.0.0.1/","dept":2}', 'invalid_request', /unknown field\(s\): dept/],
  ['status without jobId', '{"action":"status"}', 'invalid_request', /jobId/],
  ['status of an unknown job', '{"action":"status","jobId":"0b7e1a52-6c1f-4d3a-9e2b-5f4c3d2a1b0e"}', 'job_not_found', /0b7e1a52-6c1f-4d3a-9e2b-5f4c3d2a1b0e/],
  ['cancel of an unknown job', '{"action":"cancel","jobId":"0b7e1a52-6c1f-4d3a-9e2b-5f4c3d2a1b0e"}', 'job_not_found', /0b7e1a52/],
  ['status of a jobId the server never makes', '{"action":"status","jobId":"no-such-job"}', 'invalid_request', /^jobId: .*UUID/],
  ['status of an internal key', '{"action":"status","jobId":"host-rate#127.0.0.1"}', 'invalid_request', /^jobId: /],
  ['oversized frame', JSON.stringify({ action: 'crawl', url: `http://127.0.0.1/${'x'.repeat(64 * 1024)}` }), 'frame_too_large', /limit is/],
];

describe('bad input', () => {
  it.each(cases)('%s → %s', async (_name, frame, code, message) => {
    const reply = client.next(() => true, 60_000);
    client.send(frame);
    const answer = await reply;
    expect(answer).toMatchObject({ type: 'error', code });
    expect(answer.message).toMatch(message);
    const requestId = /"requestId":"([^"]+)"/.exec(frame)?.[1];
    if (requestId) expect(answer.requestId).toBe(requestId);
    expect(client.closed).toBe(false);
  });

  it('created no job, no frontier record, no queue message and no object', async () => {
    expect(await countItems(stack, stack.resources.jobsTable)).toBe(0);
    expect(await countItems(stack, stack.resources.frontierTable)).toBe(0);
    expect(await queueDepth(stack, stack.resources.queueUrl)).toBe(0);
    expect(await countObjects(stack)).toBe(0);
  });

  it('still serves a good request on the same connection', async () => {
    const reply = client.next(() => true, 60_000);
    client.send({ action: 'status', jobId: 'f2a9c7e4-1b3d-4c5e-8f6a-7b8c9d0e1f2a', requestId: 'after' });
    expect(await reply).toMatchObject({ type: 'error', code: 'job_not_found', requestId: 'after' });
  });
});
