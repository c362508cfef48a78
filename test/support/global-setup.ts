// Once per `vitest run`, before any test file: what every local stack of the suite can share.
// - The handlers bundled as for Lambda (test/support/handler-bundles.ts).
// - One DynamoDB Local: a JVM costs ~2.5 s of CPU to start and warms its JIT per process; every
//   stack provisions its own tables under a random prefix, so stacks never see each other's items.
// What stays per test file: SQS+S3 (fauxqs runs inside the test's process, in milliseconds),
// the gateway, the execution environments and their browsers, and the machine's calibration.
import type { TestProject } from 'vitest/node';
import { startDynamoDb, type RunningEmulator } from '../../local/emulators/dynamodb.js';
import { calibrate, type MachineSpeed } from '../e2e/support/calibrate.js';
import { handlerBundles, type HandlerBundles } from './handler-bundles.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** the handlers' bundles and the runtime that runs them; null when the suite runs the sources (TEST_SOURCE_HANDLERS=1) */
    handlerBundles: HandlerBundles | null;
    /** a DynamoDB Local every stack of the run shares; '' = each stack starts its own */
    sharedDynamoDbEndpoint: string;
    /** the machine measured once, before any file starts (test/e2e/support/machine.ts); null: not measured */
    runSpeed: MachineSpeed | null;
  }
}

interface Shared {
  bundles: HandlerBundles | null;
  dynamo: RunningEmulator;
  runSpeed: MachineSpeed | null;
}

/**
 * Vitest calls a global setup once for each project that has files (and for the root), in one
 * process: they share one start, and the last teardown stops what it started.
 */
const state = globalThis as { crawlerTestSetup?: { started: Promise<Shared>; users: number } };

async function start(vitest: TestProject['vitest']): Promise<Shared> {
  const sources = process.env.TEST_SOURCE_HANDLERS === '1';
  const [bundles, dynamo] = await Promise.all([sources ? Promise.resolve(null) : handlerBundles(), startDynamoDb()]);
  // After the bundles and the emulator are up, while nothing else of the run is: the reference that
  // caps what a file measures in a burst of files starting together. A run of quick tests only
  // (npm run test:quick) needs no browser, and gets none; nor does a run of the sources (it would
  // need tsx here, where vitest's module runner cannot resolve it).
  const browserFiles = vitest.projects.some((p) => p.name === 'browser');
  const runSpeed = browserFiles && bundles ? await calibrate(bundles) : null;
  return { bundles, dynamo, runSpeed };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  state.crawlerTestSetup ??= { started: start(project.vitest), users: 0 };
  const shared = state.crawlerTestSetup;
  shared.users += 1;
  const { bundles, dynamo, runSpeed } = await shared.started;
  project.provide('handlerBundles', bundles);
  project.provide('sharedDynamoDbEndpoint', dynamo.endpoint);
  project.provide('runSpeed', runSpeed);
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    delete state.crawlerTestSetup;
    await dynamo.stop();
  };
}
