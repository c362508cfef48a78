// Offline replay of a crawl: `npm run replay -- <archive.wacz | http(s) URL> [--port N]` serves an
// HTTP proxy on 127.0.0.1 that answers every request from the archive and none from the network.
// A browser started with --proxy-server=http://127.0.0.1:N (plus --proxy-bypass-list=<-loopback>
// for sites that were on localhost) shows the crawled pages with their scripts running against the
// archived responses. Lookups: exact URL, then the fuzzy rules of replay-index.ts; what the archive
// lacks is a 404 and is logged.
//
// HTTPS: a CONNECT is answered by the proxy itself, never tunnelled on: it terminates TLS with a
// certificate for the asked host, signed by a CA made for this run (replay-tls.ts), and serves the
// requests inside from the archive as https:// URLs. The browser must be told to accept that CA
// (the printed --ignore-certificate-errors-spki-list flag, or the written CA file in a throw-away
// profile); `https: false` answers CONNECT with 501 instead.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { WARCParser, type WARCRecord } from 'warcio';
import { parseCdxj, ReplayIndex, type Capture, type MatchRule } from '../functions/adapters/archive/replay-index.js';
import { DEFAULT_MAX_READ_BYTES, WaczReader, WaczReadTooLarge } from '../functions/adapters/archive/wacz-reader.js';
import { createReplayCa, type ReplayCa } from './replay-tls.js';

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
  /** answer CONNECT by terminating TLS with a CA made for this run (default true); false: 501 */
  https?: boolean;
  /**
   * the largest archive entry (the index, pages.jsonl) or WARC record read into memory, in bytes
   * (default DEFAULT_MAX_READ_BYTES; CLI --max-read-bytes): an archive from elsewhere cannot make
   * the tool read a huge entry whole
   */
  maxReadBytes?: number;
}

export interface ReplayServer {
  port: number;
  pages: ReplayPage[];
  /** requests the archive could not answer, as "METHOD url" */
  misses: string[];
  /** requests answered, with the rule that found them */
  served: { method: string; url: string; status: number; rule: MatchRule }[];
  /** the CA of this run's https certificates; absent with `https: false` */
  ca?: Pick<ReplayCa, 'certificatePem' | 'spkiFingerprints'>;
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

/** Sockets of the TLS connections the proxy terminated, with the https origin their CONNECT asked for. */
const tlsOrigins = new WeakMap<Socket, string>();

/**
 * The URL a proxy request asks for: absolute-form from a proxy client; inside a terminated CONNECT,
 * the tunnel's https origin; the Host header otherwise.
 */
function targetOf(req: IncomingMessage): string | undefined {
  const raw = req.url ?? '/';
  if (/^https?:\/\//i.test(raw)) return raw;
  const tunnel = tlsOrigins.get(req.socket);
  if (tunnel) return `${tunnel}${raw}`;
  const host = req.headers.host;
  return host ? `http://${host}${raw}` : undefined;
}

/** `host:port` of a CONNECT as an https origin (the default port left out, as URLs in the archive have it). */
function httpsOrigin(authority: string): { origin: string; hostname: string } | undefined {
  try {
    const url = new URL(`https://${authority}`);
    if (!url.hostname || url.pathname !== '/' || url.username) return undefined;
    return { origin: url.origin, hostname: url.hostname };
  } catch {
    return undefined;
  }
}

export async function startReplay(options: ReplayOptions): Promise<ReplayServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const fetched = /^https?:\/\//i.test(options.archive) ? await download(options.archive) : undefined;
  const reader = await WaczReader.open(fetched?.path ?? options.archive, { maxReadBytes: options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES });
  let index: ReplayIndex;
  let pages: ReplayPage[];
  try {
    index = new ReplayIndex(parseCdxj((await reader.read('indexes/index.cdxj')).toString('utf8')));
    pages = reader.has('pages/pages.jsonl')
      ? (await reader.read('pages/pages.jsonl'))
          .toString('utf8')
          .split('\n')
          .filter((line) => line.trim())
          .map((line) => JSON.parse(line) as ReplayPage & { format?: string })
          .filter((line) => !line.format && line.url)
      : [];
  } catch (error) {
    reader.close();
    await fetched?.cleanup();
    throw error instanceof WaczReadTooLarge ? new Error(`cannot replay ${options.archive}: ${tooLarge(error)}`) : error;
  }
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
      if (!original) {
        // the first copy never made it into the archive (its page was left out at the job's byte cap)
        misses.push(`${method} ${target}`);
        log(`miss ${method} ${target} (revisit of a record the archive lacks)`);
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(method === 'HEAD' ? undefined : `not in the archive: ${target}\n`);
        return;
      }
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

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    answer(req, res).catch((error: Error) => {
      const why = error instanceof WaczReadTooLarge ? tooLarge(error) : error.message;
      log(`error ${req.method} ${req.url}: ${why}`);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      // the browser shows why: a record over the cap is the archive's, not a network failure
      res.end(error instanceof WaczReadTooLarge && req.method !== 'HEAD' ? `not replayed: ${why}\n` : undefined);
    });
  };
  const server = createServer(handle);
  // Requests inside terminated CONNECTs: the same answers, from the same archive.
  const insideTls = createServer(handle);
  const tunnels = new Set<Socket>();
  const ca = options.https === false ? undefined : createReplayCa();
  server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const target = httpsOrigin(req.url ?? '');
    if (!ca || !target) {
      // No tunnel, so never the network.
      misses.push(`CONNECT ${req.url}`);
      log(`miss CONNECT ${req.url} (${ca ? 'not a host:port' : 'https is not replayed'})`);
      socket.end('HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socket.on('error', () => socket.destroy());
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    const tls = new TLSSocket(socket, {
      isServer: true,
      secureContext: ca.contextFor(target.hostname),
      // a browser's request for another name on this connection still gets a matching certificate
      SNICallback: (name, done) => done(null, ca.contextFor(name)),
      // HTTP/1.1 inside: node's http server, as for plain requests
      ALPNProtocols: ['http/1.1'],
    });
    tls.on('error', (error: Error) => {
      log(`tls ${target.origin}: ${error.message}`);
      socket.destroy();
    });
    tlsOrigins.set(tls, target.origin);
    tunnels.add(socket);
    socket.once('close', () => tunnels.delete(socket));
    insideTls.emit('connection', tls);
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
    ...(ca ? { ca: { certificatePem: ca.certificatePem, spkiFingerprints: ca.spkiFingerprints } } : {}),
    close: async () => {
      for (const socket of tunnels) socket.destroy();
      insideTls.closeAllConnections();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      reader.close();
      await fetched?.cleanup();
    },
  };
}

/** What to tell the user when a read is over the cap: which entry, how large, and the setting that allows it. */
function tooLarge(error: WaczReadTooLarge): string {
  return `${error.message} (raise it with --max-read-bytes, or the maxReadBytes option)`;
}

/** Chromium flags that make the replay proxy its only route, loopback included, and accept its https certificates. */
export function chromiumFlags(replay: Pick<ReplayServer, 'port' | 'ca'>): string[] {
  return [
    `--proxy-server=http://127.0.0.1:${replay.port}`,
    '--proxy-bypass-list=<-loopback>',
    ...(replay.ca ? [`--ignore-certificate-errors-spki-list=${replay.ca.spkiFingerprints.join(',')}`] : []),
  ];
}

function usage(): never {
  console.error('usage: npm run replay -- <archive.wacz | http(s) URL> [--port N] [--ca-file ca.pem] [--no-https] [--max-read-bytes N]');
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  let archive: string | undefined;
  let port = DEFAULT_REPLAY_PORT;
  let https = true;
  let caFile: string | undefined;
  let maxReadBytes = DEFAULT_MAX_READ_BYTES;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--port') port = Number(argv[++i]);
    else if (arg.startsWith('--port=')) port = Number(arg.slice('--port='.length));
    else if (arg === '--ca-file') caFile = argv[++i] ?? usage();
    else if (arg.startsWith('--ca-file=')) caFile = arg.slice('--ca-file='.length);
    else if (arg === '--no-https') https = false;
    else if (arg === '--max-read-bytes') maxReadBytes = Number(argv[++i]);
    else if (arg.startsWith('--max-read-bytes=')) maxReadBytes = Number(arg.slice('--max-read-bytes='.length));
    else if (arg === '--help' || arg === '-h') usage();
    else if (!archive) archive = arg;
    else usage();
  }
  if (!archive || !Number.isInteger(port) || port < 0 || port > 65535 || !Number.isSafeInteger(maxReadBytes) || maxReadBytes < 1) usage();
  const replay = await startReplay({ archive, port, https, maxReadBytes });
  console.log(`replaying ${archive}: ${replay.pages.length} page(s)`);
  for (const page of replay.pages) console.log(`  ${page.ts ?? ''}  ${page.url}${page.title ? `  "${page.title}"` : ''}`);
  console.log(`proxy on http://127.0.0.1:${replay.port}; e.g. (a throw-away profile: these flags make it trust this run's certificates)`);
  console.log(`  chromium --user-data-dir=$(mktemp -d) ${chromiumFlags(replay).map((flag) => `'${flag}'`).join(' ')}`);
  if (replay.ca) {
    const path = caFile ?? join(tmpdir(), `replay-ca-${replay.port}.pem`);
    await writeFile(path, replay.ca.certificatePem);
    console.log(`https: CONNECT is answered with certificates signed by a CA made for this run, written to ${path}`);
    console.log('  (or import that file into a throw-away profile\'s trust store instead of the flag; never into your own)');
  }
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
