// Timeouts for the end-to-end tests, derived from what this machine measures instead of numbers
// that held on one developer's machine. A calibration runs once per test file, in a forked
// execution environment like a crawler's (cold start, code loading, Chromium), against pages
// served on 127.0.0.1; every timeout a test needs is a generous multiple of it, because other
// test files (or a CPU hog) may make the machine slower after the calibration ran.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { childProcessInvoker } from '../../../local/invoker.js';

export interface MachineSpeed {
  /** from fork to the crawler's code loaded (ms) */
  envStartMs: number;
  /** a cold browser's launch and first light page */
  coldRenderMs: number;
  /** a warm light page, and a warm 3 MB page */
  lightMs: number;
  heavyMs: number;
}

/** How much slower the machine may get after calibrating (other files start, a hog). */
export const HEADROOM = 4;

let measured: Promise<MachineSpeed> | undefined;

export function machineSpeed(): Promise<MachineSpeed> {
  measured ??= calibrate();
  return measured;
}

async function calibrate(): Promise<MachineSpeed> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    if (req.url === '/heavy') res.end(`<!doctype html><title>heavy</title><p>${'x'.repeat(3_000_000)}</p><a href="/">home</a>`);
    else res.end(`<!doctype html><title>light</title><a href="/heavy">heavy</a><script>setTimeout(() => document.body.append(Object.assign(document.createElement('a'), { href: '/late' })), 100)</script>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const invoker = childProcessInvoker({
    name: 'calibration',
    handlerPath: fileURLToPath(new URL('./calibration-handler.ts', import.meta.url)),
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    timeoutMs: 300_000,
    log: () => {},
  });
  try {
    const began = Date.now();
    const result = (await invoker.invoke({ lightUrl: `${origin}/`, heavyUrl: `${origin}/heavy` })) as Omit<MachineSpeed, 'envStartMs'> & { importMs: number };
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

export interface StackTimings {
  /** a navigation that must succeed gets this long (a page that never answers takes it, per attempt) */
  navTimeoutMs: number;
  settleMaxMs: number;
  /** one crawler invocation: a cold environment, a cold browser and a whole batch of heavy pages */
  workerTimeoutMs: number;
  /** above the invocation timeout, as on AWS */
  visibilityTimeoutSeconds: number;
  leaseMs: number;
  /** no settle for this long is a stall; far above one invocation */
  stallTimeoutMs: number;
}

/**
 * Timings for a local stack whose crawler takes batches of `batchSize`. Only a page that never
 * answers waits the whole navigation timeout; an invocation may hold one such page, and the other
 * pages of its batch, sharing two cores, are counted as if they ran one after the other.
 */
export function stackTimings(speed: MachineSpeed, batchSize: number, floors: Partial<StackTimings> = {}): StackTimings {
  const settleMaxMs = floors.settleMaxMs ?? 4_000;
  const navTimeoutMs = Math.max(floors.navTimeoutMs ?? 5_000, HEADROOM * speed.heavyMs);
  const coldMs = HEADROOM * (speed.envStartMs + speed.coldRenderMs);
  const workerTimeoutMs = Math.max(floors.workerTimeoutMs ?? 15_000, coldMs + navTimeoutMs + settleMaxMs + batchSize * HEADROOM * speed.heavyMs);
  const visibilityTimeoutSeconds = Math.ceil(workerTimeoutMs / 1000) + 2;
  return {
    navTimeoutMs,
    settleMaxMs,
    workerTimeoutMs,
    visibilityTimeoutSeconds,
    leaseMs: floors.leaseMs ?? workerTimeoutMs,
    stallTimeoutMs: Math.max(floors.stallTimeoutMs ?? 0, 3 * workerTimeoutMs),
  };
}

/** How long to wait for a reply of an API route: a cold environment loading the handler, with headroom. */
export function replyWaitMs(speed: MachineSpeed): number {
  return Math.max(15_000, 2 * HEADROOM * speed.envStartMs);
}

/** How long a job may take that goes through `recoveries` crash recoveries (each a visibility timeout) and `pages` pages. */
export function jobWaitMs(timings: StackTimings, speed: MachineSpeed, { recoveries = 0, pages = 10 }: { recoveries?: number; pages?: number } = {}): number {
  return 60_000 + timings.workerTimeoutMs + (recoveries + 1) * timings.visibilityTimeoutSeconds * 1000 + pages * HEADROOM * speed.heavyMs;
}

/**
 * For a test on the stack's default timings: wait for its job at least `floorMs`, longer on a
 * machine the calibration finds slow or busy (a job of up to `pages` pages, batches of 3).
 */
export async function jobWaitAtLeast(floorMs: number, pages = 20): Promise<number> {
  const speed = await machineSpeed();
  return Math.max(floorMs, jobWaitMs(stackTimings(speed, 3), speed, { pages }));
}
