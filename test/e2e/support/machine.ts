// Timeouts for the end-to-end tests, derived from what this machine measures instead of numbers
// that held on one developer's machine. A calibration runs once per test file, in a forked
// execution environment like a crawler's (cold start, code loading, Chromium), against pages
// served on 127.0.0.1; every timeout a test needs is a generous multiple of it, because other
// test files (or a CPU hog) may make the machine slower after the calibration ran. What a file
// measures is capped by what the run measured before any file started (BURST_CAP).
import { inject } from 'vitest';
import { calibrate, type MachineSpeed } from './calibrate.js';

export type { MachineSpeed } from './calibrate.js';


/** How much slower the machine may get after calibrating (other files start, a hog). */
export const HEADROOM = 4;

/**
 * A file's measure may be at most this many times the run's (test/support/global-setup.ts measures
 * once, before any file starts). Files that start together calibrate together, each then measuring
 * the others' cold starts: one run's four longest files once took twice their usual time, every
 * timeout and visibility wait doubled by such a burst. A machine slower for good still raises the
 * timeouts up to this, and HEADROOM is on top of it.
 */
export const BURST_CAP = 2;

let measured: Promise<MachineSpeed> | undefined;

export function machineSpeed(): Promise<MachineSpeed> {
  measured ??= calibrate(inject('handlerBundles')).then((mine) => capped(mine, inject('runSpeed')));
  return measured;
}

function capped(mine: MachineSpeed, run: MachineSpeed | null): MachineSpeed {
  if (!run) return mine;
  const speed = { ...mine };
  for (const key of Object.keys(speed) as (keyof MachineSpeed)[]) speed[key] = Math.min(mine[key], BURST_CAP * run[key]);
  if (process.env.E2E_VERBOSE) console.log(`machine calibration: this file ${JSON.stringify(mine)}, the run ${JSON.stringify(run)}`);
  return speed;
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
