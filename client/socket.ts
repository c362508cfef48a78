// One WebSocket to the crawler, through the standard (WHATWG) interface: the global WebSocket where
// the runtime has one (browsers, Node 22+, Deno, Bun), else the `ws` package (Node 20), which
// implements the same interface. The client above it never sees which.

/** The part of the standard WebSocket the client uses. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type SocketConstructor = new (url: string) => SocketLike;

const OPEN = 1;

async function defaultConstructor(): Promise<SocketConstructor> {
  const global = (globalThis as { WebSocket?: SocketConstructor }).WebSocket;
  if (global) return global;
  const ws = (await import('ws')) as unknown as { default: SocketConstructor };
  return ws.default;
}

/** The URL with the connection token as API Gateway's authorizer reads it (`?token=`): browsers cannot set headers. */
export function connectUrl(url: string, token: string | undefined): string {
  if (token === undefined) return url;
  const parsed = new URL(url);
  parsed.searchParams.set('token', token);
  return parsed.toString();
}

/** Why a connection could not be opened; `status` is the HTTP answer when the server refused it (401, 403). */
export class ConnectError extends Error {
  override name = 'ConnectError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Opens a socket; resolves once it is open. A refusal (401/403) is a ConnectError with its status. */
export async function openSocket(url: string, ctor?: SocketConstructor): Promise<SocketLike> {
  const Socket = ctor ?? (await defaultConstructor());
  return new Promise((resolve, reject) => {
    let socket: SocketLike;
    try {
      socket = new Socket(url);
    } catch (error) {
      reject(new ConnectError((error as Error).message));
      return;
    }
    let failure: string | undefined;
    socket.onopen = () => {
      socket.onerror = null;
      socket.onclose = null;
      resolve(socket);
    };
    socket.onerror = (event) => {
      // ws: an Error with "Unexpected server response: 401"; browsers: no detail at all.
      failure = (event as { message?: string; error?: Error }).message ?? (event as { error?: Error }).error?.message;
    };
    socket.onclose = (event) => {
      const status = /server response: (\d{3})/.exec(failure ?? '')?.[1];
      reject(new ConnectError(`cannot connect to ${url.replace(/([?&]token=)[^&]*/, '$1…')}: ${failure ?? `closed (${event.code})`}`, status ? Number(status) : undefined));
    };
  });
}

export function isOpen(socket: SocketLike | undefined): socket is SocketLike {
  return socket?.readyState === OPEN;
}
