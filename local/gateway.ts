// A local API Gateway WebSocket API: `$connect` on upgrade (a non-2xx answer refuses the socket),
// route selection on `$request.body.action` with `$default` as fallback, `$disconnect` on close,
// and the `@connections` Management API on the same port (410 GoneException for closed sockets).
import { isLoopbackHost } from './console/loopback.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Invoker } from './invoker.js';

/** API Gateway's limit for one WebSocket message. */
export const API_GATEWAY_MAX_MESSAGE_BYTES = 128 * 1024;

export interface GatewayOptions {
  port: number;
  /** route key ($connect, $disconnect, $default, or an action) → its function */
  routes: Record<string, Invoker>;
  /** a REQUEST authorizer for $connect: runs first, and only an Allow lets $connect run */
  authorizer?: Invoker;
  maxMessageBytes?: number;
  stage?: string;
  log: (line: string) => void;
  /** answers plain HTTP requests outside `@connections` (the local console); without it they get 404 */
  http?: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface Gateway {
  url: string;
  /** the same port over plain HTTP (the console, when one is attached) */
  httpUrl: string;
  connectionsEndpoint: string;
  connectionCount(): number;
  /** the open connections' ids, for `@connections` calls (DELETE closes one, as API Gateway's 2-hour cut does) */
  connectionIds(): string[];
  stop(): Promise<void>;
}

interface Connection {
  socket: WebSocket;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string;
}

/** What API Gateway passes to every route of a connection its authorizer allowed. */
type AuthorizerContext = { principalId: string; integrationLatency: number } & Record<string, unknown>;

function connectionId(): string {
  // API Gateway's ids look like "L0SM9cOFvHcCIhw=": 12 base64 characters.
  return randomBytes(9).toString('base64');
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const stage = options.stage ?? 'local';
  const connections = new Map<string, Connection>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? API_GATEWAY_MAX_MESSAGE_BYTES });
  let domainName = '127.0.0.1';

  const requestContext = (routeKey: string, eventType: string, id: string, connectedAt: number, authorizer?: AuthorizerContext) => ({
    routeKey,
    eventType,
    connectionId: id,
    connectedAt,
    domainName,
    stage,
    apiId: 'local',
    requestId: randomUUID(),
    extendedRequestId: randomUUID(),
    requestTimeEpoch: Date.now(),
    messageDirection: 'IN',
    identity: { sourceIp: '127.0.0.1' },
    ...(authorizer ? { authorizer } : {}),
  });

  const invoke = async (routeKey: string, event: unknown): Promise<{ statusCode?: number } | undefined> => {
    const invoker = options.routes[routeKey];
    if (!invoker) return undefined;
    return (await invoker.invoke(event)) as { statusCode?: number } | undefined;
  };

  const handleConnections = async (req: IncomingMessage, res: ServerResponse, id: string) => {
    const connection = connections.get(id);
    const gone = () => {
      res.writeHead(410, { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' });
      res.end(JSON.stringify({ message: `connection ${id} is gone` }));
    };
    if (!connection || connection.socket.readyState !== connection.socket.OPEN) return gone();
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const data = Buffer.concat(chunks);
      if (data.length > API_GATEWAY_MAX_MESSAGE_BYTES) {
        res.writeHead(413, { 'content-type': 'application/json', 'x-amzn-errortype': 'PayloadTooLargeException' });
        return res.end(JSON.stringify({ message: 'payload too large' }));
      }
      connection.socket.send(data.toString('utf8'));
      res.writeHead(200).end();
      return;
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          ConnectedAt: new Date(connection.connectedAt).toISOString(),
          LastActiveAt: new Date(connection.lastActiveAt).toISOString(),
          Identity: { SourceIp: connection.sourceIp, UserAgent: connection.userAgent },
        }),
      );
    }
    if (req.method === 'DELETE') {
      connection.socket.close(1000);
      res.writeHead(204).end();
      return;
    }
    res.writeHead(405).end();
  };

  const server = createServer((req, res) => {
    const match = /^(?:\/[^/]+)?\/@connections\/([^/?]+)/.exec(req.url ?? '');
    if (!match?.[1]) {
      if (options.http) return options.http(req, res);
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ message: 'Not Found' }));
    }
    handleConnections(req, res, decodeURIComponent(match[1])).catch((error) => {
      options.log(`[gateway] @connections failed: ${(error as Error).message}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  const authorize = async (event: {
    headers: Record<string, string>;
    queryStringParameters?: Record<string, string>;
    requestContext: unknown;
  }): Promise<{ verdict: 'allow' | 'deny' | 'error'; authorizer?: AuthorizerContext }> => {
    if (!options.authorizer) return { verdict: 'allow' };
    try {
      const result = (await options.authorizer.invoke({
        type: 'REQUEST',
        methodArn: `arn:aws:execute-api:us-east-1:000000000000:local/${stage}/$connect`,
        headers: event.headers,
        queryStringParameters: event.queryStringParameters ?? {},
        requestContext: event.requestContext,
      })) as { principalId?: unknown; context?: Record<string, unknown>; policyDocument?: { Statement?: { Effect?: string }[] } } | null;
      const statements = result?.policyDocument?.Statement ?? [];
      if (!(statements.length > 0 && statements.every((s) => s.Effect === 'Allow'))) return { verdict: 'deny' };
      // Like API Gateway: the principal and the context keys reach every route of the connection.
      return { verdict: 'allow', authorizer: { ...(result?.context ?? {}), principalId: String(result?.principalId ?? ''), integrationLatency: 0 } };
    } catch {
      return { verdict: 'error' };
    }
  };

  const isLoopbackOrigin = (origin: string): boolean => {
    try {
      return isLoopbackHost(new URL(origin).host);
    } catch {
      return false;
    }
  };

  const refuse = (socket: Duplex, status: number, text: string) => {
    socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  };

  server.on('upgrade', (req, socket, head) => {
    // A web page the user has open in a browser could otherwise open a socket to this stack (which
    // crawls private addresses) and read what it crawls: a browser always sends Origin, and only a
    // page served from this machine (the console) may connect. Clients that are not browsers send none.
    const origin = req.headers.origin;
    if (origin !== undefined && !isLoopbackOrigin(origin)) {
      options.log(`[gateway] refused a WebSocket from origin ${origin.slice(0, 200)}`);
      return refuse(socket, 403, 'Forbidden');
    }
    const id = connectionId();
    const connectedAt = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const event = {
      requestContext: requestContext('$connect', 'CONNECT', id, connectedAt),
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')])),
      multiValueHeaders: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v : [v ?? '']])),
      queryStringParameters: url.searchParams.size > 0 ? Object.fromEntries(url.searchParams) : undefined,
      isBase64Encoded: false,
    };
    authorize(event)
      .then(async ({ verdict, authorizer }) => {
        if (verdict !== 'allow') {
          options.log(`[gateway] authorizer refused ${id} (${verdict})`);
          return refuse(socket, verdict === 'deny' ? 403 : 401, verdict === 'deny' ? 'Forbidden' : 'Unauthorized');
        }
        const result = await invoke('$connect', { ...event, requestContext: requestContext('$connect', 'CONNECT', id, connectedAt, authorizer) });
        const status = result?.statusCode ?? 200;
        if (status < 200 || status > 299) {
          options.log(`[gateway] $connect refused ${id} with ${status}`);
          return refuse(socket, status === 401 ? 401 : 403, status === 401 ? 'Unauthorized' : 'Forbidden');
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
          const connection: Connection = {
            socket: ws,
            connectedAt,
            lastActiveAt: connectedAt,
            sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
            userAgent: String(req.headers['user-agent'] ?? ''),
          };
          connections.set(id, connection);
          ws.on('message', (data, isBinary) => {
            connection.lastActiveAt = Date.now();
            const body = isBinary ? Buffer.from(data as Buffer).toString('base64') : data.toString();
            let routeKey = '$default';
            if (!isBinary) {
              try {
                const action = (JSON.parse(body) as { action?: unknown })?.action;
                if (typeof action === 'string' && options.routes[action] && !action.startsWith('$')) routeKey = action;
              } catch {
                // not JSON: $default
              }
            }
            const messageEvent = {
              requestContext: { ...requestContext(routeKey, 'MESSAGE', id, connectedAt, authorizer), messageId: randomBytes(9).toString('base64') },
              body,
              isBase64Encoded: isBinary,
            };
            invoke(routeKey, messageEvent).catch((error) => options.log(`[gateway] route ${routeKey} failed: ${(error as Error).message}`));
          });
          ws.on('close', () => {
            connections.delete(id);
            const disconnect = { requestContext: requestContext('$disconnect', 'DISCONNECT', id, connectedAt, authorizer), isBase64Encoded: false };
            invoke('$disconnect', disconnect).catch((error) => options.log(`[gateway] $disconnect failed: ${(error as Error).message}`));
          });
        });
      })
      .catch((error) => {
        options.log(`[gateway] $connect failed: ${(error as Error).message}`);
        refuse(socket, 500, 'Internal Server Error');
      });
  });

  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  domainName = `127.0.0.1:${port}`;
  return {
    url: `ws://127.0.0.1:${port}`,
    httpUrl: `http://127.0.0.1:${port}/`,
    connectionsEndpoint: `http://127.0.0.1:${port}`,
    connectionCount: () => connections.size,
    connectionIds: () => [...connections.keys()],
    async stop() {
      for (const { socket } of connections.values()) socket.terminate();
      connections.clear();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
