// 1,000+ generated frames over a real WebSocket: every one is answered with a typed error (none
// of them is a valid crawl), no handler dies, the connection stays open, and nothing is written.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { RawSocket } from './support/raw-socket.js';
import { seededRandom } from '../../local/seeded-random.js';
import { countItems, countObjects, queueDepth, startTestStack } from './harness.js';

const KNOWN_CODES = new Set([
  'invalid_json', 'invalid_message', 'unknown_action', 'invalid_request', 'invalid_url', 'frame_too_large', 'job_not_found',
]);


function generateFrames(count: number, random: () => number): string[] {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const unicode = ['é', '漢字', '🕷️', '\u202e', '\u0000', '\ud800', '\uffff', 'ß', '𝔘𝔫𝔦'];
  const text = (max: number) => Array.from({ length: 1 + Math.floor(random() * max) }, () => (random() < 0.3 ? pick(unicode) : String.fromCharCode(32 + Math.floor(random() * 95)))).join('');
  const weird = (): unknown => pick<() => unknown>([
    () => null, () => true, () => -1, () => 1e308, () => -0, () => 3.5, () => text(20), () => [], () => ({}),
    () => 'x'.repeat(5000), () => [[[[[]]]]], () => ({ nested: { deeper: [1, 2, { x: 'y' }] } }), () => Number.MAX_SAFE_INTEGER,
  ])();
  const badUrls = ['', 'ftp://x/', 'javascript:alert(1)', 'file:///etc/passwd', 'http://', 'https://exa mple.com/', '//no-scheme', 'mailto:a@b', 'data:,x', text(30), `http://x/${'a'.repeat(3000)}`];
  const generators: (() => string)[] = [
    () => text(40), // not JSON at all
    () => `{"action":"crawl","url":"${text(10)}"`, // truncated JSON
    () => JSON.stringify(weird()), // JSON that is not an object
    () => JSON.stringify({ action: weird() }),
    () => JSON.stringify({ action: text(12) }),
    () => JSON.stringify({ url: 'http://127.0.0.1/' }),
    () => JSON.stringify({ action: 'crawl', url: pick(badUrls) }),
    () => JSON.stringify({ action: 'crawl', url: weird() }),
    () => JSON.stringify({ action: 'crawl', url: 'http://127.0.0.1:9/', depth: pick([-1, 1.5, 99, '1', null, 1e9, [], {}, true, text(5)]) }),
    () => JSON.stringify({ action: 'crawl', url: 'http://127.0.0.1:9/', maxPages: pick([0, -5, 1e12, 'ten', 2.5, null, [], {}, true]) }),
    () => JSON.stringify({ action: 'crawl', url: 'http://127.0.0.1:9/', [text(8)]: weird() }), // unknown field
    () => JSON.stringify({ action: 'crawl', url: 'http://127.0.0.1:9/', requestId: pick(['', 'x'.repeat(500), 5, null, [], {}, true]) }),
    () => JSON.stringify({ action: 'crawl', url: 'http://127.0.0.1:9/', scope: pick(['planet', '', 5, null, [], {}, text(6)]) }),
    () => JSON.stringify({ action: 'crawl', url: 'http://127.0.0.1:9/', include: pick(['*', [5], Array(50).fill('*'), [''], null, {}, [null]]) }),
    () => JSON.stringify({ action: pick(['status', 'cancel']), jobId: pick(['', 5, 'x'.repeat(100), null, weird()]) }),
    () => JSON.stringify({ action: pick(['status', 'cancel']), jobId: `missing-${text(6)}` }),
    () => JSON.stringify({ action: 'crawl', url: `http://127.0.0.1/${'x'.repeat(17_000 + Math.floor(random() * 40_000))}` }), // oversized
    () => `${'['.repeat(5000)}${']'.repeat(5000)}`, // deep nesting
    () => JSON.stringify({ action: 'crawl', url: 'http://127.0.0.1:9/', deep: JSON.parse(`${'{"a":'.repeat(200)}1${'}'.repeat(200)}`) }),
  ];
  return Array.from({ length: count }, () => pick(generators)());
}

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

it('answers 1,200 generated frames, each with one typed error, and writes nothing', async () => {
  const frames = generateFrames(1200, seededRandom(20261122));
  const codes = new Map<string, number>();
  for (const [index, frame] of frames.entries()) {
    const reply = client.next(() => true, 60_000);
    client.send(frame);
    const answer = await reply.catch((error: Error) => {
      throw new Error(`frame #${index} got no answer (${error.message}): ${frame.slice(0, 200)}`);
    });
    expect(answer.type, `frame #${index}: ${frame.slice(0, 200)}`).toBe('error');
    expect(KNOWN_CODES.has(answer.code as string), `frame #${index} → ${answer.code}: ${answer.message}`).toBe(true);
    expect(typeof answer.message).toBe('string');
    codes.set(answer.code as string, (codes.get(answer.code as string) ?? 0) + 1);
  }
  console.log('fuzz: answers by code', Object.fromEntries(codes));
  expect(client.closed).toBe(false);
  // Exactly one answer per frame: nothing extra arrives late.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(client.received).toHaveLength(frames.length);
  expect(await countItems(stack, stack.resources.jobsTable)).toBe(0);
  expect(await countItems(stack, stack.resources.frontierTable)).toBe(0);
  expect(await queueDepth(stack, stack.resources.queueUrl)).toBe(0);
  expect(await countObjects(stack)).toBe(0);
});
