// One exchange as WARC 1.1 records written by warcio: a response (or a revisit when its payload is
// already in the job's archive) and the request concurrent to it, each record its own gzip member,
// so that per-page files concatenate into one valid .warc.gz.
//
// warcio lays out the records; the digests and the gzip are done here with node's crypto and zlib.
// Left to warcio they cost the crawler most of its archive CPU (profile of scripts/archive-cpu.ts
// on the bench site, docs/performance.md, "What the page formats cost"): it instantiates a hash-wasm module for
// every digest (two per record) and gzips each record through a web CompressionStream, ~1-2 ms of
// main-thread stream machinery and zlib set-up for a 500-byte request record. Here a record is
// hashed natively (the payload digest the dedupe computed already is reused) and gzipped in one
// synchronous call with a window no larger than the record (a small record's zlib set-up is then
// small too); a large record goes to zlib's thread pool, off the event loop the tabs share.
import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { promisify } from 'node:util';
import { gzip, gzipSync } from 'node:zlib';
import { WARCRecord, WARCSerializer, WARC_1_1 } from 'warcio';
import type { Exchange } from './exchange-recorder.js';

const gzipOnPool = promisify(gzip);
/** Records up to this size are gzipped in place: well under a millisecond, less than a hop to the pool. */
const SYNC_GZIP_MAX_BYTES = 256 * 1024;
const EMPTY = new Uint8Array(0);

/** `sha256:<hex>` of the bytes, the form of WARC-Block-Digest and WARC-Payload-Digest. */
export function sha256Digest(...parts: Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return `sha256:${hash.digest('hex')}`;
}

/** Where the payload of a revisit was first written. */
export interface RevisitOf {
  uri: string;
  date: string;
  digest: string;
}

/**
 * Chromium hands bodies over decoded, so the stored headers must not announce an encoding, and
 * Content-Length must be what is stored: otherwise a replaying browser would decode twice or wait.
 */
export function storedResponseHeaders(headers: [string, string][], payloadLength: number): [string, string][] {
  const kept = headers.filter(([name]) => !/^(content-encoding|transfer-encoding|content-length)$/i.test(name));
  kept.push(['Content-Length', String(payloadLength)]);
  return kept;
}

function requestLine(exchange: Exchange): string {
  const url = new URL(exchange.url);
  return `${exchange.method} ${url.pathname}${url.search} HTTP/1.1`;
}

function statusLine(status: number, statusText: string): string {
  return `HTTP/1.1 ${status} ${statusText || STATUS_CODES[status] || ''}`.trimEnd();
}

/**
 * A gzip member of `bytes`. The deflate window only needs to span the input: a smaller one gives
 * the same compression with less zlib memory to set up (gzip readers inflate with any window).
 */
export async function gzipMember(bytes: Uint8Array): Promise<Uint8Array> {
  if (bytes.length > SYNC_GZIP_MAX_BYTES) return gzipOnPool(bytes);
  const windowBits = Math.min(15, Math.max(9, Math.ceil(Math.log2(bytes.length + 262))));
  return gzipSync(bytes, { windowBits });
}

/**
 * The record serialised by warcio and gzipped. Its digests are set first, as warcio would compute
 * them: the block is the HTTP head as warcio writes it (`httpHeaders.toString()` and CRLF) followed
 * by the payload; the payload digest is of the payload alone (a revisit carries the original's).
 * With both present, warcio hashes nothing.
 */
async function gzipped(record: WARCRecord, payload: Uint8Array, payloadDigest?: string): Promise<Uint8Array> {
  const head = record.httpHeaders ? Buffer.from(`${record.httpHeaders.toString()}\r\n`, 'utf8') : EMPTY;
  const headers = record.warcHeaders.headers;
  if (record.warcType !== 'revisit') headers.set('WARC-Payload-Digest', payloadDigest ?? sha256Digest(payload));
  headers.set('WARC-Block-Digest', sha256Digest(head, payload));
  return gzipMember(await WARCSerializer.serialize(record, { gzip: false }));
}

/**
 * The response (or revisit) and request records of one exchange, gzipped one by one.
 * `payloadDigest`: the body's digest when the caller has it already (computed for dedupe).
 */
export async function exchangeRecords(exchange: Exchange, revisit?: RevisitOf, payloadDigest?: string): Promise<Uint8Array[]> {
  const response = exchange.response;
  if (!response) return [];
  const body = exchange.body ?? EMPTY;
  const warcHeaders: Record<string, string> = {};
  if (response.remoteIp) warcHeaders['WARC-IP-Address'] = response.remoteIp;
  let record: WARCRecord;
  if (revisit) {
    warcHeaders['WARC-Payload-Digest'] = revisit.digest;
    record = WARCRecord.create({
      url: exchange.url,
      date: exchange.date,
      type: 'revisit',
      warcVersion: WARC_1_1,
      refersToUrl: revisit.uri,
      refersToDate: revisit.date,
      statusline: statusLine(response.status, response.statusText),
      httpHeaders: storedResponseHeaders(response.headers, body.length),
      warcHeaders,
    });
  } else {
    if (exchange.truncated) warcHeaders['WARC-Truncated'] = 'length';
    record = WARCRecord.create(
      {
        url: exchange.url,
        date: exchange.date,
        type: 'response',
        warcVersion: WARC_1_1,
        statusline: statusLine(response.status, response.statusText),
        httpHeaders: storedResponseHeaders(response.headers, body.length),
        warcHeaders,
      },
      [body],
    );
  }
  const responseId = record.warcHeader('WARC-Record-ID') ?? '';
  const request = WARCRecord.create(
    {
      url: exchange.url,
      date: exchange.date,
      type: 'request',
      warcVersion: WARC_1_1,
      statusline: requestLine(exchange),
      httpHeaders: exchange.requestHeaders,
      warcHeaders: { 'WARC-Concurrent-To': responseId },
    },
    exchange.postData ? [exchange.postData] : undefined,
  );
  return [await gzipped(record, revisit ? EMPTY : body, payloadDigest), await gzipped(request, exchange.postData ?? EMPTY)];
}
