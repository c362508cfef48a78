// fauxqs: SQS (AWS JSON protocol) and S3 on one port, in this process. It binds 0.0.0.0 (not
// configurable); everything talks to it through 127.0.0.1.
import type { RunningEmulator } from './dynamodb.js';

export async function startSqsS3(options: { port?: number } = {}): Promise<RunningEmulator> {
  const { startFauxqs } = await import('fauxqs');
  const server = await startFauxqs({ port: options.port ?? 0, logger: false });
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    stop: () => server.stop(),
  };
}
