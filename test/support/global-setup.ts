// Once per `vitest run`, before any test file: what every local stack of the suite can share.
// - The handlers bundled as for Lambda (test/support/handler-bundles.ts).
// - One DynamoDB Local: a JVM costs ~2.5 s of CPU to start and warms its JIT per process; every
//   stack provisions its own tables under a random prefix, so stacks never see each other's items.
// What stays per test file: SQS+S3 (fauxqs runs inside the test's process, in milliseconds),
// the gateway, the execution environments and their browsers, and the machine's calibration.
import type { TestProject } from 'vitest/node';
import { startDynamoDb } from '../../local/emulators/dynamodb.js';
import { handlerBundles, type HandlerBundles } from './handler-bundles.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** the handlers' bundles and the runtime that runs them; null when the suite runs the sources (TEST_SOURCE_HANDLERS=1) */
    handlerBundles: HandlerBundles | null;
    /** a DynamoDB Local every stack of the run shares; '' = each stack starts its own */
    sharedDynamoDbEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sources = process.env.TEST_SOURCE_HANDLERS === '1';
  const [bundles, dynamo] = await Promise.all([sources ? Promise.resolve(null) : handlerBundles(), startDynamoDb()]);
  project.provide('handlerBundles', bundles);
  project.provide('sharedDynamoDbEndpoint', dynamo.endpoint);
  return async () => {
    await dynamo.stop();
  };
}
