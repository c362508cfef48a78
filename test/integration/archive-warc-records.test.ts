// The WARC records of one exchange, read back byte by byte: each record is its own gzip member, its
// WARC-Block-Digest is the sha256 of exactly the record's content block and its
// WARC-Payload-Digest that of the payload after the HTTP head (WARC 1.1 §5.8, §5.9), checked here
// without warcio's hashing; warcio's parser reads the concatenated members back. The records are
// made without web CompressionStreams (their per-record set-up was most of the archive's CPU).
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { Exchange } from '../../functions/adapters/products/archive/exchange-recorder.js';
import { exchangeRecords, gzipMember } from '../../functions/adapters/products/archive/warc-records.js';
import { parseWarc } from './fixtures-archive/warc.js';

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const CRLF2 = Buffer.from('\r\n\r\n');

function exchange(body: Uint8Array, extra: Partial<Exchange> = {}): Exchange {
  return {
    url: 'http://127.0.0.1:8080/static/site.css?v=1',
    method: 'GET',
    date: '2026-12-01T10:00:00.123Z',
    requestHeaders: [['Host', '127.0.0.1:8080'], ['Accept', 'text/css']],
    response: {
      status: 200,
      statusText: 'OK',
      headers: [['Content-Type', 'text/css'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['Content-Encoding', 'gzip']],
      mimeType: 'text/css',
      remoteIp: '127.0.0.1',
    },
    body,
    truncated: false,
    done: true,
    bodyMissing: false,
    ...extra,
  };
}

/** Each member inflated on its own: one gzip member holds one whole record. */
const members = (parts: Uint8Array[]): Buffer[] => parts.map((part) => gunzipSync(part));

/** WARC headers, content block and (for HTTP records) payload of one uncompressed record. */
function split(record: Buffer): { headers: Map<string, string>; block: Buffer; payload: Buffer } {
  const end = record.indexOf(CRLF2);
  const headers = new Map<string, string>();
  for (const line of record.subarray(0, end).toString('utf8').split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const length = Number(headers.get('content-length'));
  const block = record.subarray(end + 4, end + 4 + length);
  expect(record.subarray(end + 4 + length).equals(CRLF2)).toBe(true);
  const head = block.indexOf(CRLF2);
  return { headers, block, payload: head < 0 ? Buffer.alloc(0) : block.subarray(head + 4) };
}

const realCompressionStream = globalThis.CompressionStream;
afterEach(() => {
  globalThis.CompressionStream = realCompressionStream;
});

describe('WARC records of an exchange', () => {
  it('writes a response and its request, each its own gzip member, with digests of the exact bytes', async () => {
    // web compression streams stay unused: they would throw here
    globalThis.CompressionStream = class {
      constructor() {
        throw new Error('CompressionStream used');
      }
    } as unknown as typeof CompressionStream;
    const body = Buffer.from(`body{margin:0}${'.c{color:#333}'.repeat(500)}`);
    const parts = await exchangeRecords(exchange(body));
    const bytes = Buffer.concat(parts);

    const [response, request] = members(parts).map(split);
    expect(response!.headers.get('warc-type')).toBe('response');
    expect(response!.payload.equals(body)).toBe(true);
    expect(response!.headers.get('warc-block-digest')).toBe(sha256(response!.block));
    expect(response!.headers.get('warc-payload-digest')).toBe(sha256(body));
    expect(request!.headers.get('warc-type')).toBe('request');
    expect(request!.headers.get('warc-block-digest')).toBe(sha256(request!.block));
    expect(request!.headers.get('warc-payload-digest')).toBe(sha256(new Uint8Array(0)));
    expect(request!.headers.get('warc-concurrent-to')).toBe(response!.headers.get('warc-record-id'));

    const parsed = await parseWarc(bytes);
    expect(parsed.map((r) => r.type)).toEqual(['response', 'request']);
    expect(Buffer.from(parsed[0]!.payload).equals(body)).toBe(true);
    // stored decoded: no encoding announced, the length is what is stored
    expect(parsed[0]!.httpHeader('content-encoding')).toBeNull();
    expect(parsed[0]!.httpHeader('content-length')).toBe(String(body.length));
  });

  it('takes a payload digest the caller computed, and hashes a request body', async () => {
    const body = Buffer.from('{"q":1}');
    const given = sha256(body);
    const posted = exchange(body, { method: 'POST', postData: Buffer.from('q=1&r=2') });
    const [response, request] = members(await exchangeRecords(posted, undefined, given)).map(split);
    expect(response!.headers.get('warc-payload-digest')).toBe(given);
    expect(request!.payload.toString()).toBe('q=1&r=2');
    expect(request!.headers.get('warc-payload-digest')).toBe(sha256(Buffer.from('q=1&r=2')));
    expect(request!.headers.get('warc-block-digest')).toBe(sha256(request!.block));
  });

  it('writes a revisit with the original payload digest and a block digest of its HTTP head', async () => {
    const body = Buffer.from('x'.repeat(5000));
    const revisit = { uri: 'http://127.0.0.1:8080/first.css', date: '2026-12-01T09:00:00.000Z', digest: sha256(body) };
    const [record] = members(await exchangeRecords(exchange(body), revisit)).map(split);
    expect(record!.headers.get('warc-type')).toBe('revisit');
    expect(record!.headers.get('warc-payload-digest')).toBe(revisit.digest);
    expect(record!.headers.get('warc-refers-to-target-uri')).toBe(revisit.uri);
    expect(record!.payload.length).toBe(0);
    expect(record!.headers.get('warc-block-digest')).toBe(sha256(record!.block));
  });

  it('gzips a large record off the event loop into one member that reads back whole', async () => {
    const body = Buffer.alloc(600 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7919) % 251;
    const [response] = members(await exchangeRecords(exchange(body))).map(split);
    expect(response!.payload.equals(body)).toBe(true);
    expect(response!.headers.get('warc-block-digest')).toBe(sha256(response!.block));
    const small = await gzipMember(Buffer.from('tiny'));
    expect(gunzipSync(small).toString()).toBe('tiny');
  });
});
