// A test site's server listening on 127.0.0.1 (a free port), and how to stop it with its kept-alive
// connections (a browser holds them open, so close() alone would wait for them).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackSite {
  origin: string;
  stop(): Promise<void>;
}

export async function listenOnLoopback(server: Server): Promise<LoopbackSite> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
