// Records every HTTP exchange of one tab through its own DevTools session: the document, each
// redirect hop, subresources, fetch/XHR. A second session on the tab sees the same Network events
// as puppeteer's (whose request interception keeps working), and works on the --single-process
// @sparticuz/chromium browser because it is a session on the page target, not a new browser.
//
// One exchange is one hop: a redirect ends a hop (its response comes with the next request of the
// same requestId) and starts the next. Bodies are fetched as soon as a load finishes, because
// Chromium evicts them from its buffer; what goes over the page's byte budget is cut.
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

export class ExchangeRecorder {
  private session: CDPSession | undefined;
  private readonly hops: Hop[] = [];
  private readonly current = new Map<string, Hop>();
  private readonly hopCount = new Map<string, number>();
  private readonly requestExtras = new Map<string, ExtraRequest[]>();
  private readonly responseExtras = new Map<string, ExtraResponse[]>();
  private readonly bodyReads: Promise<void>[] = [];
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
    session.on('Network.loadingFailed', (event: Protocol.Network.LoadingFailedEvent) => {
      // blocked, aborted or refused: no response to keep (a redirect hop before it was kept already)
      this.current.delete(event.requestId);
    });
    // Chromium's defaults (100 MB / 10 MB) would evict bodies of a large page before we read them.
    const bufferBytes = Math.max(1, Math.min(this.options.maxPageBytes * 2, 512 * 1024 * 1024));
    await session.send('Network.enable', { maxTotalBufferSize: bufferBytes, maxResourceBufferSize: Math.max(1, Math.min(bufferBytes, 256 * 1024 * 1024)) });
  }

  /**
   * The exchanges that completed, in the order their requests were sent, once every body read that
   * started has ended. Requests still loading are left out (`pending` counts them).
   */
  async finish(): Promise<{ exchanges: Exchange[]; pending: number }> {
    await Promise.all(this.bodyReads);
    const pending = this.current.size;
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
