// Offline replay of a crawl: `npm run replay -- <archive.wacz | http(s) URL> [--port N]` serves an
// HTTP proxy on 127.0.0.1 that answers every request from the archive and none from the network.
// A browser started with --proxy-server=http://127.0.0.1:N (plus --proxy-bypass-list=<-loopback>
// for sites that were on localhost) shows the crawled pages with their scripts running against the
// archived responses. Lookups: exact URL, then the fuzzy rules of replay-index.ts; what the archive
// lacks is a 404 and is logged. HTTPS (CONNECT) is refused: only http:// pages replay.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { WARCParser, type WARCRecord } from 'warcio';
import { parseCdxj, ReplayIndex, type Capture, type MatchRule } from '../functions/adapters/archive/replay-index.js';
import { WaczReader } from '../functions/adapters/archive/wacz-reader.js';

export const DEFAULT_REPLAY_PORT = 9090;

export interface ReplayPage {
  url: string;
  title?: string;
  ts?: string;
}

export interface ReplayOptions {
  /** a .wacz path, or an http(s) URL to download it from (a presigned archiveUrl) */
  archive: string;
  port?: number;
  log?: (line: string) => void;
}

export interface ReplayServer {
  port: number;
  pages: ReplayPage[];
  /** requests the archive could not answer, as "METHOD url" */
  misses: string[];
  /** requests answered, with the rule that found them */
  served: { method: string; url: string; status: number; rule: MatchRule }[];
  close(): Promise<void>;
}

/** Not forwarded: they describe the recorded connection, not the replayed one. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'proxy-connection', 'proxy-authenticate', 'te', 'trailer', 'upgrade']);

async function download(url: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'replay-'));
  const path = join(dir, 'archive.wacz');
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`downloading the archive failed: HTTP ${response.status}`);
  await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(path));
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The URL a proxy request asks for: absolute-form from a proxy client, Host header otherwise. */
function targetOf(req: IncomingMessage): string | undefined {
  const raw = req.url ?? '/';
  if (/^https?:\/\//i.test(raw)) return raw;
  const host = req.headers.host;
  return host ? `http://${host}${raw}` : undefined;
}

export async function startReplay(options: ReplayOptions): Promise<ReplayServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const fetched = /^https?:\/\//i.test(options.archive) ? await download(options.archive) : undefined;
  const reader = await WaczReader.open(fetched?.path ?? options.archive);
  const index = new ReplayIndex(parseCdxj((await reader.read('indexes/index.cdxj')).toString('utf8')));
  const pages: ReplayPage[] = reader.has('pages/pages.jsonl')
    ? (await reader.read('pages/pages.jsonl'))
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as ReplayPage & { format?: string })
        .filter((line) => !line.format && line.url)
    : [];
  const misses: string[] = [];
  const served: ReplayServer['served'] = [];

  const readRecord = async (capture: Capture): Promise<{ record: WARCRecord; payload: Uint8Array }> => {
    const bytes = await reader.readRange(`archive/${capture.filename}`, capture.offset, capture.length);
    for await (const record of WARCParser.iterRecords([bytes])) {
      return { record, payload: await record.readFully(false) };
    }
    throw new Error(`no WARC record at ${capture.filename}:${capture.offset}`);
  };

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const target = targetOf(req);
    const match = target ? index.find(target, method) : undefined;
    if (!target || !match) {
      misses.push(`${method} ${target ?? req.url}`);
      log(`miss ${method} ${target ?? req.url}`);
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(method === 'HEAD' ? undefined : `not in the archive: ${target ?? req.url}\n`);
      return;
    }
    const { record, payload: own } = await readRecord(match.capture);
    let payload = own;
    if (record.warcType === 'revisit') {
      const original = index.original(record.warcRefersToTargetURI ?? '', record.warcRefersToDate ?? '', (record.warcPayloadDigest ?? '').split(':').pop() ?? '');
      if (!original) throw new Error(`revisit of ${target} refers to a record the archive lacks`);
      payload = (await readRecord(original)).payload;
    }
    const http = record.httpHeaders;
    const status = Number(http?.statusCode ?? 200);
    const headers: Record<string, string[]> = {};
    http?.headers.forEach((value: string, name: string) => {
      if (!HOP_BY_HOP.has(name.toLowerCase())) (headers[name] ??= []).push(value);
    });
    headers['content-length'] = [String(payload.length)];
    res.writeHead(status, http?.statusText || STATUS_CODES[status] || '', headers);
    res.end(method === 'HEAD' ? undefined : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    served.push({ method, url: target, status, rule: match.rule });
    if (match.rule !== 'exact') log(`${match.rule} ${method} ${target} -> ${match.capture.url}`);
  };

  const server = createServer((req, res) => {
    answer(req, res).catch((error: Error) => {
      log(`error ${req.method} ${req.url}: ${error.message}`);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end();
    });
  });
  // No tunnel, so never the network: an https:// page cannot be replayed by this proxy.
  server.on('connect', (req: IncomingMessage, socket: import('node:net').Socket) => {
    misses.push(`CONNECT ${req.url}`);
    log(`miss CONNECT ${req.url} (https is not replayed)`);
    socket.end('HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_REPLAY_PORT, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    pages,
    misses,
    served,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      reader.close();
      await fetched?.cleanup();
    },
  };
}

function usage(): never {
  console.error('usage: npm run replay -- <archive.wacz | http(s) URL> [--port N]');
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  let archive: string | undefined;
  let port = DEFAULT_REPLAY_PORT;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--port') port = Number(argv[++i]);
    else if (arg.startsWith('--port=')) port = Number(arg.slice('--port='.length));
    else if (arg === '--help' || arg === '-h') usage();
    else if (!archive) archive = arg;
    else usage();
  }
  if (!archive || !Number.isInteger(port) || port < 0 || port > 65535) usage();
  const replay = await startReplay({ archive, port });
  console.log(`replaying ${archive}: ${replay.pages.length} page(s)`);
  for (const page of replay.pages) console.log(`  ${page.ts ?? ''}  ${page.url}${page.title ? `  "${page.title}"` : ''}`);
  console.log(`proxy on http://127.0.0.1:${replay.port}; e.g. chromium --proxy-server=http://127.0.0.1:${replay.port} --proxy-bypass-list='<-loopback>'`);
  const stop = () => {
    replay.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
