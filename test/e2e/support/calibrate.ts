// The calibration itself (test/e2e/support/machine.ts says what it is for): a forked execution
// environment, as a crawler's, loads the crawler's code, starts a cold browser and renders a light
// and a 3 MB page served on 127.0.0.1. No vitest import: the global setup runs it too.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { childProcessInvoker } from '../../../local/invoker.js';
import { CHROMIUM_BIN_DIR, type HandlerBundles } from '../../support/handler-bundles.js';

export interface MachineSpeed {
  /** from fork to the crawler's code loaded (ms) */
  envStartMs: number;
  /** a cold browser's launch and first light page */
  coldRenderMs: number;
  /** a warm light page, and a warm 3 MB page */
  lightMs: number;
  heavyMs: number;
}

/** Measures the machine now: runs calibration-handler.ts in an execution environment as the stacks run their handlers. */
export async function calibrate(bundles: HandlerBundles | null): Promise<MachineSpeed> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    if (req.url === '/heavy') res.end(`<!doctype html><title>heavy</title><p>${'x'.repeat(3_000_000)}</p><a href="/">home</a>`);
    else res.end(`<!doctype html><title>light</title><a href="/heavy">heavy</a><script>setTimeout(() => document.body.append(Object.assign(document.createElement('a'), { href: '/late' })), 100)</script>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Run as this run's stacks run their handlers: bundled in the plain-node runtime, or (without
  // bundles) the sources through tsx — so the code's load time is the one the stacks will see.
  const invoker = childProcessInvoker({
    name: 'calibration',
    handlerPath: bundles?.calibration ?? fileURLToPath(new URL('./calibration-handler.ts', import.meta.url)),
    runtimeFile: bundles?.runtime,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...(bundles ? { CHROMIUM_BIN_DIR } : {}) },
    timeoutMs: 300_000,
    log: () => {},
  });
  try {
    const began = Date.now();
    const workerModule = bundles ? pathToFileURL(bundles.handlers['worker']!).href : new URL('../../../functions/handlers/worker.ts', import.meta.url).href;
    const result = (await invoker.invoke({ lightUrl: `${origin}/`, heavyUrl: `${origin}/heavy`, workerModule })) as Omit<MachineSpeed, 'envStartMs'> & { importMs: number };
    const total = Date.now() - began;
    const speed: MachineSpeed = {
      envStartMs: total - result.coldRenderMs - result.lightMs - result.heavyMs,
      coldRenderMs: result.coldRenderMs,
      lightMs: result.lightMs,
      heavyMs: result.heavyMs,
    };
    if (process.env.E2E_VERBOSE) console.log(`machine calibration: ${JSON.stringify(speed)}`);
    return speed;
  } finally {
    await invoker.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

