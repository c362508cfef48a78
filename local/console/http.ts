// The console's HTTP side, served on the gateway's port: the page, its script and the front-end
// library (files from disk, no build step), and read-only JSON routes over ConsoleState. Starting
// and cancelling crawls is not here: the page does that over the WebSocket like any client.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLoopbackAddress, isLoopbackHost } from './loopback.js';
import type { ConsoleState } from './state.js';

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Nothing but our own files runs; the page talks to this port only; images come from the local S3 emulator. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; connect-src 'self' ws://127.0.0.1:*; img-src 'self' http://127.0.0.1:* data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');
// preact, its hooks and htm in one ES module, as the htm package ships it (htm/dist/htm.js → htm/).
const LIBRARY_FILE = join(dirname(dirname(createRequire(import.meta.url).resolve('htm'))), 'preact', 'standalone.module.js');

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: join(PUBLIC_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/console.js': { file: join(PUBLIC_DIR, 'console.js'), type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: join(PUBLIC_DIR, 'console.css'), type: 'text/css; charset=utf-8' },
  '/vendor/preact-htm.js': { file: LIBRARY_FILE, type: 'text/javascript; charset=utf-8' },
};

const JOB_ID = /^[A-Za-z0-9-]{1,100}$/;
const URL_KEY = /^[0-9a-f]{64}$/;

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, ...extra });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), extra);
}

export function consoleHttpHandler(state: ConsoleState, log: (line: string) => void): HttpHandler {
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Loopback only, by the peer and by the name it asked for: a page elsewhere that resolves its
    // own host name to 127.0.0.1 (DNS rebinding) does not get to read the console.
    if (!isLoopbackAddress(req.socket.remoteAddress) || !isLoopbackHost(req.headers.host)) {
      return json(res, 403, { message: 'the console answers loopback clients only' });
    }
    if (req.method !== 'GET') return json(res, 405, { message: 'the console is read-only: GET only' }, { allow: 'GET' });
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const asset = STATIC[path] ?? (path === '/index.html' ? STATIC['/'] : undefined);
    if (asset) return send(res, 200, asset.type, await readFile(asset.file));
    if (path === '/api/jobs') return json(res, 200, { jobs: await state.jobs() });
    if (path === '/api/queues') return json(res, 200, { queues: await state.queues() });
    const job = /^\/api\/jobs\/([^/]+)$/.exec(path);
    if (job?.[1] && JOB_ID.test(job[1])) {
      const detail = await state.job(job[1]);
      return detail ? json(res, 200, detail) : json(res, 404, { message: 'no such job' });
    }
    const page = /^\/api\/jobs\/([^/]+)\/pages\/([^/]+)$/.exec(path);
    if (page?.[1] && page[2] && JOB_ID.test(page[1]) && URL_KEY.test(page[2])) {
      const content = await state.pageContent(page[1], page[2]);
      return content ? json(res, 200, content) : json(res, 404, { message: 'no such page record' });
    }
    return json(res, 404, { message: 'Not Found' });
  };
  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      log(`[console] ${req.method} ${req.url} failed: ${(error as Error).message}`);
      if (!res.headersSent) json(res, 500, { message: 'the console could not read the stack; see its log' });
      else res.end();
    });
  };
}
