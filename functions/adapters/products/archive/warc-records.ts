// One exchange as WARC 1.1 records written by warcio: a response (or a revisit when its payload is
// already in the job's archive) and the request concurrent to it, each record its own gzip member,
// so that per-page files concatenate into one valid .warc.gz.
import { STATUS_CODES } from 'node:http';
import { WARCRecord, WARCSerializer, WARC_1_1 } from 'warcio';
import type { Exchange } from './exchange-recorder.js';

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

async function gzipped(record: WARCRecord): Promise<Uint8Array> {
  return WARCSerializer.serialize(record, { gzip: true });
}

/** The response (or revisit) and request records of one exchange, gzipped one by one. */
export async function exchangeRecords(exchange: Exchange, revisit?: RevisitOf): Promise<Uint8Array[]> {
  const response = exchange.response;
  if (!response) return [];
  const body = exchange.body ?? new Uint8Array(0);
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
  return [await gzipped(record), await gzipped(request)];
}
