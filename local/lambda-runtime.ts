// Runs inside a child process: one Lambda execution environment. It imports the handler once and
// serves invocations sent by the parent over IPC, one at a time, as Lambda does.
import childProcess from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { pathToFileURL } from 'node:url';
import { inInvocation, installCallAudit } from './call-audit.js';

// Lambda freezes or discards an environment with everything in it. Here the browser a handler
// launches is its own process group (puppeteer detaches it), so it would outlive a killed
// environment: report every process spawned, and the parent kills them with the environment.
const originalSpawn = childProcess.spawn;
childProcess.spawn = function spawnAndReport(this: unknown, ...args: unknown[]) {
  const spawned = (originalSpawn as (...a: unknown[]) => childProcess.ChildProcess).apply(this, args);
  if (spawned.pid !== undefined) process.send?.({ type: 'spawned', pid: spawned.pid });
  return spawned;
} as typeof childProcess.spawn;
syncBuiltinESMExports();

interface InvokeRequest {
  type: 'invoke';
  id: number;
  handlerPath: string;
  functionName: string;
  event: unknown;
  /** the function's timeout: as on Lambda, it counts from the handler's start, not the module's import */
  timeoutMs: number;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;
const handlers = new Map<string, Handler>();

async function loadHandler(path: string): Promise<Handler> {
  let handler = handlers.get(path);
  if (!handler) {
    const module = (await import(pathToFileURL(path).href)) as { handler?: Handler };
    if (typeof module.handler !== 'function') throw new Error(`${path} exports no handler`);
    handler = module.handler;
    handlers.set(path, handler);
  }
  return handler;
}

function contextFor(request: InvokeRequest, deadline: number) {
  return {
    functionName: request.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${request.functionName}`,
    memoryLimitInMB: '2048',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${request.functionName}`,
    logStreamName: `local/${process.pid}`,
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

// The AWS requests of each invocation, for the least-privilege test (call-audit.ts); off unless asked.
if (process.env.CRAWLER_CALL_AUDIT) installCallAudit(process.env.CRAWLER_CALL_AUDIT);

process.on('message', (raw) => {
  const request = raw as InvokeRequest;
  if (request?.type !== 'invoke') return;
  void inInvocation(request.functionName, async () => {
    try {
      const handler = await loadHandler(request.handlerPath);
      process.send?.({ type: 'started', id: request.id });
      const value = await handler(request.event, contextFor(request, Date.now() + request.timeoutMs));
      process.send?.({ type: 'result', id: request.id, ok: true, value: value ?? null });
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      process.send?.({ type: 'result', id: request.id, ok: false, error: { name: e.name, message: e.message, stack: e.stack } });
    }
  });
});

process.on('unhandledRejection', (reason) => {
  console.error('unhandled rejection in handler:', reason);
});

process.send?.({ type: 'ready' });
