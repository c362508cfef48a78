// Records every HTTP exchange of one tab through its own DevTools session: the document, each
// redirect hop, subresources, fetch/XHR. A second session on the tab sees the same Network events
// as puppeteer's (whose request interception keeps working), and works on the --single-process
// @sparticuz/chromium browser because it is a session on the page target, not a new browser.
//
// One exchange is one hop: a redirect ends a hop (its response comes with the next request of the
// same requestId) and starts the next. Bodies are fetched as soon as a load finishes, because
// Chromium evicts them from its buffer; what goes over the page's byte budget is cut.
//
// Documents Chromium downloads instead of rendering (a PDF, `Content-Disposition: attachment`,
// application/octet-stream) never finish loading for the Network domain: the navigation is aborted
// (ERR_ABORTED), the body goes to the download manager and Network.getResponseBody has nothing.
// So the recorder also pauses document responses (Fetch domain, Response stage, in its own
// session): one it can tell will be downloaded is read there (Fetch.getResponseBody) and let go,
// and its exchange is completed with that body. Every other document is let go at once, unread,
// and streams as before. The body is the one the browser received, on its own connection through
// the egress proxy: no second request to the site, nothing the browser did not see. Fetch
// interception in a second session composes with puppeteer's (request stage, its own session).
import type { CDPSession, Page, Protocol } from 'puppeteer-core';

export interface RecordedResponse {
  status: number;
  statusText: string;
  /** headers as received (from the ExtraInfo event when Chromium gave one), in order, repeated names kept */
  headers: [string, string][];
  mimeType: string;
  remoteIp?: string;
}

export interface Exchange {
  url: string;
  method: string;
  /** when the request was sent, ISO 8601 with milliseconds */
  date: string;
  /** headers as sent (ExtraInfo), else as the page asked for them */
  requestHeaders: [string, string][];
  postData?: Uint8Array;
  response?: RecordedResponse;
  /** the payload as Chromium decoded it (no content or transfer encoding left) */
  body?: Uint8Array;
  /** the body was cut to the page's byte budget */
  truncated: boolean;
  /** finished loading (a redirect hop counts as finished; its body is empty) */
  done: boolean;
  /** the body could not be read back from Chromium */
  bodyMissing: boolean;
}

export interface RecorderOptions {
  /** payload bytes kept for the whole page; the body that crosses it is cut and marked */
  maxPageBytes: number;
}

/** A document response read while paused, for a download that never finishes for the Network domain. */
interface Captured {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array;
  truncated: boolean;
}

interface Hop {
  exchange: Exchange;
  requestId: string;
  /** position of this hop among the hops of its requestId (redirects share one requestId) */
  index: number;
}

type ExtraRequest = Protocol.Network.RequestWillBeSentExtraInfoEvent;
type ExtraResponse = Protocol.Network.ResponseReceivedExtraInfoEvent;

/** CDP joins repeated header values (Set-Cookie) with "\n"; WARC keeps them as repeated lines. */
export function headerPairs(headers: Protocol.Network.Headers | undefined): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    for (const line of String(value).split('\n')) pairs.push([name, line]);
  }
  return pairs;
}

const isHttp = (url: string) => url.startsWith('http://') || url.startsWith('https://');

/** Types a document of which Chromium shows (HTML, XML, text, JSON, images, media); anything else it downloads. */
const RENDERED_TYPE = /^(text\/|image\/|audio\/|video\/|application\/(xhtml\+xml|xml|json|javascript|ecmascript)\b|[a-z-]+\/[\w.-]+\+(xml|json)\b)/i;

/**
 * Whether Chromium will turn this document response into a download: `Content-Disposition:
 * attachment`, or a type it does not display (a PDF in headless Chromium, octet-stream, a zip).
 * A response with no type is sniffed and shown.
 */
export function isDownload(headers: [string, string][]): boolean {
  const header = (name: string) => headers.find(([n]) => n.toLowerCase() === name)?.[1]?.trim() ?? '';
  if (/^attachment\b/i.test(header('content-disposition'))) return true;
  const type = header('content-type');
  return type !== '' && !RENDERED_TYPE.test(type);
}

export class ExchangeRecorder {
  private session: CDPSession | undefined;
  private readonly hops: Hop[] = [];
  private readonly current = new Map<string, Hop>();
  private readonly hopCount = new Map<string, number>();
  private readonly requestExtras = new Map<string, ExtraRequest[]>();
  private readonly responseExtras = new Map<string, ExtraResponse[]>();
  private readonly bodyReads: Promise<void>[] = [];
  /** bodies of would-be downloads, by Network requestId */
  private readonly captured = new Map<string, Captured>();
  private budget: number;

  constructor(private readonly options: RecorderOptions) {
    this.budget = options.maxPageBytes;
  }

  async attach(tab: Page): Promise<void> {
    const session = await tab.createCDPSession();
    this.session = session;
    session.on('Network.requestWillBeSent', (event: Protocol.Network.RequestWillBeSentEvent) => this.onRequest(event));
    session.on('Network.requestWillBeSentExtraInfo', (event: ExtraRequest) => push(this.requestExtras, event.requestId, event));
    session.on('Network.responseReceivedExtraInfo', (event: ExtraResponse) => push(this.responseExtras, event.requestId, event));
    session.on('Network.responseReceived', (event: Protocol.Network.ResponseReceivedEvent) => {
      const hop = this.current.get(event.requestId);
      if (hop) hop.exchange.response = this.responseOf(event.response);
    });
    session.on('Network.loadingFinished', (event: Protocol.Network.LoadingFinishedEvent) => this.onFinished(event.requestId));
    session.on('Fetch.requestPaused', (event: Protocol.Fetch.RequestPausedEvent) => this.onPaused(event));
    session.on('Network.loadingFailed', (event: Protocol.Network.LoadingFailedEvent) => {
      // blocked, aborted or refused: no response to keep (a redirect hop before it was kept already)
      this.current.delete(event.requestId);
    });
    // Chromium's defaults (100 MB / 10 MB) would evict bodies of a large page before we read them.
    const bufferBytes = Math.max(1, Math.min(this.options.maxPageBytes * 2, 512 * 1024 * 1024));
    await session.send('Network.enable', { maxTotalBufferSize: bufferBytes, maxResourceBufferSize: Math.max(1, Math.min(bufferBytes, 256 * 1024 * 1024)) });
    await session.send('Fetch.enable', { patterns: [{ urlPattern: '*', resourceType: 'Document', requestStage: 'Response' }] });
  }

  /**
   * The exchanges that completed, in the order their requests were sent, once every body read that
   * started has ended. Requests still loading are left out (`pending` counts them).
   */
  async finish(): Promise<{ exchanges: Exchange[]; pending: number }> {
    await Promise.all(this.bodyReads);
    // a download: its Network request failed (aborted), but its body was read while paused
    for (const hop of this.hops) {
      const captured = this.captured.get(hop.requestId);
      if (!hop.exchange.done && captured) this.complete(hop, captured);
    }
    const pending = [...this.current.values()].filter((hop) => !hop.exchange.done).length;
    await this.session?.detach().catch(() => {});
    this.session = undefined;
    const exchanges: Exchange[] = [];
    for (const hop of this.hops) {
      if (!hop.exchange.done || !hop.exchange.response) continue;
      this.applyExtras(hop);
      exchanges.push(hop.exchange);
    }
    return { exchanges, pending };
  }

  private onRequest(event: Protocol.Network.RequestWillBeSentEvent): void {
    const previous = this.current.get(event.requestId);
    if (previous && event.redirectResponse) {
      previous.exchange.response = this.responseOf(event.redirectResponse);
      previous.exchange.body = new Uint8Array(0);
      previous.exchange.done = true;
    }
    this.current.delete(event.requestId);
    const { request } = event;
    if (!isHttp(request.url)) return;
    const index = this.hopCount.get(event.requestId) ?? 0;
    this.hopCount.set(event.requestId, index + 1);
    const exchange: Exchange = {
      url: request.url,
      method: request.method,
      date: new Date(event.wallTime * 1000).toISOString(),
      requestHeaders: headerPairs(request.headers),
      truncated: false,
      done: false,
      bodyMissing: false,
    };
    const postData = request.postDataEntries?.map((entry) => Buffer.from(entry.bytes ?? '', 'base64'));
    if (postData?.length) exchange.postData = Buffer.concat(postData);
    else if (request.postData) exchange.postData = Buffer.from(request.postData, 'utf8');
    const hop: Hop = { exchange, requestId: event.requestId, index };
    this.hops.push(hop);
    this.current.set(event.requestId, hop);
  }

  /**
   * A document response, paused before Chromium decides what to do with it: a would-be download is
   * read (within the page's byte budget) before it is let go; anything else is let go at once.
   */
  private onPaused(event: Protocol.Fetch.RequestPausedEvent): void {
    const session = this.session;
    if (!session) return;
    const release = () => session.send('Fetch.continueRequest', { requestId: event.requestId }).catch(() => {});
    const headers: [string, string][] = (event.responseHeaders ?? []).map(({ name, value }) => [name, value]);
    const status = event.responseStatusCode;
    const redirect = status !== undefined && status >= 300 && status < 400 && headers.some(([name]) => name.toLowerCase() === 'location');
    if (status === undefined || event.responseErrorReason || redirect || !event.networkId || !isDownload(headers)) {
      void release();
      return;
    }
    const requestId = event.networkId;
    this.bodyReads.push(
      this.readPaused(session, event.requestId)
        .then(async ({ body, truncated }) => {
          this.captured.set(requestId, { status, statusText: event.responseStatusText ?? '', headers, body, truncated });
          // Chromium gets what was read: it only downloads it (and throws it away), the page record
          // needs its response event. The body is decoded, so no encoding or length is announced.
          const kept = headers.filter(([name]) => !/^(content-encoding|content-length|transfer-encoding)$/i.test(name));
          await session.send('Fetch.fulfillRequest', {
            requestId: event.requestId,
            responseCode: status,
            ...(event.responseStatusText ? { responsePhrase: event.responseStatusText } : {}),
            responseHeaders: kept.map(([name, value]) => ({ name, value })),
            body: Buffer.from(body).toString('base64'),
          });
        })
        .catch(() => {
          // the tab went away, or Chromium could not give the body: the download stays unrecorded
          session.send('Fetch.failRequest', { requestId: event.requestId, errorReason: 'Aborted' }).catch(() => {});
        }),
    );
  }

  /**
   * A paused response's body as a stream, read up to the page's byte budget: a download of any size
   * costs at most the budget in memory.
   */
  private async readPaused(session: CDPSession, requestId: string): Promise<{ body: Uint8Array; truncated: boolean }> {
    const { stream } = await session.send('Fetch.takeResponseBodyAsStream', { requestId });
    const chunks: Buffer[] = [];
    let truncated = false;
    try {
      for (;;) {
        // the budget is shared with the page's other body reads: taken chunk by chunk
        const room = Math.max(0, this.budget);
        const { data, base64Encoded, eof } = await session.send('IO.read', { handle: stream, size: Math.max(1, Math.min(1024 * 1024, room + 1)) });
        const chunk = Buffer.from(data, base64Encoded ? 'base64' : 'utf8');
        const kept = Math.min(chunk.length, Math.max(0, this.budget));
        this.budget -= kept;
        chunks.push(kept < chunk.length ? chunk.subarray(0, kept) : chunk);
        if (kept < chunk.length) {
          truncated = true;
          break;
        }
        if (eof) break;
      }
    } finally {
      await session.send('IO.close', { handle: stream }).catch(() => {});
    }
    return { body: Buffer.concat(chunks), truncated };
  }

  /** Ends a download's hop with the body read while it was paused. */
  private complete(hop: Hop, captured: Captured): void {
    const { exchange } = hop;
    // the headers as received, not as fulfilled (the recorder gave Chromium the body without its length)
    const seen = exchange.response;
    exchange.response = {
      status: captured.status,
      statusText: captured.statusText,
      headers: captured.headers,
      mimeType: seen?.mimeType ?? '',
      ...(seen?.remoteIp ? { remoteIp: seen.remoteIp } : {}),
    };
    exchange.body = captured.body;
    exchange.truncated = captured.truncated;
    exchange.done = true;
  }

  private responseOf(response: Protocol.Network.Response): RecordedResponse {
    return {
      status: response.status,
      statusText: response.statusText,
      headers: headerPairs(response.headers),
      mimeType: response.mimeType,
      ...(response.remoteIPAddress ? { remoteIp: response.remoteIPAddress } : {}),
    };
  }

  private onFinished(requestId: string): void {
    const hop = this.current.get(requestId);
    if (!hop) return;
    this.current.delete(requestId);
    const { exchange } = hop;
    const session = this.session;
    if (!session || !exchange.response) return;
    // read while paused already (a type Chromium showed after all): not twice, nor counted twice
    const captured = this.captured.get(requestId);
    if (captured) return this.complete(hop, captured);
    if (this.budget <= 0) {
      exchange.body = new Uint8Array(0);
      exchange.truncated = true;
      exchange.done = true;
      return;
    }
    this.bodyReads.push(
      session
        .send('Network.getResponseBody', { requestId })
        .then(({ body, base64Encoded }) => {
          const bytes = Buffer.from(body, base64Encoded ? 'base64' : 'utf8');
          const kept = Math.max(0, Math.min(bytes.length, this.budget));
          this.budget -= kept;
          exchange.body = kept < bytes.length ? bytes.subarray(0, kept) : bytes;
          exchange.truncated = kept < bytes.length;
          exchange.done = true;
        })
        .catch(() => {
          // evicted, or a body Chromium never kept (a download): nothing faithful to replay
          exchange.bodyMissing = true;
        }),
    );
  }

  /** Headers as they went over the wire, matched to hops in order (one ExtraInfo per hop and direction). */
  private applyExtras(hop: Hop): void {
    const sent = this.requestExtras.get(hop.requestId)?.[hop.index];
    if (sent) hop.exchange.requestHeaders = requestHeadersOf(sent.headers, hop.exchange.url);
    const received = this.responseExtras.get(hop.requestId)?.[hop.index];
    const response = hop.exchange.response;
    // a hop without its own ExtraInfo would shift the pairing: trust it only when the status agrees
    if (received && response && received.statusCode === response.status) response.headers = headerPairs(received.headers);
  }
}

/** HTTP/2 pseudo-headers become an HTTP/1.1 request's Host; the rest as sent. */
function requestHeadersOf(headers: Protocol.Network.Headers, url: string): [string, string][] {
  const pairs = headerPairs(headers);
  const plain = pairs.filter(([name]) => !name.startsWith(':'));
  if (!plain.some(([name]) => name.toLowerCase() === 'host')) plain.unshift(['Host', new URL(url).host]);
  return plain;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
