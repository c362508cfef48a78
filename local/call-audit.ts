// The AWS requests each function makes, written down as they leave its execution environment: what
// test/e2e/least-privilege-calls.test.ts compares with the grants of infra/function-access.ts, so
// that a call the code makes and the role lacks fails a test here rather than with AccessDenied on
// AWS. On only when CRAWLER_CALL_AUDIT names a file (lambda-runtime.ts); the emulators enforce no IAM.
//
// It sits on node:http, under the SDK: the handlers run as bundles with their own copy of the SDK,
// and every one of its clients sends through http.request (the emulators are plain HTTP). Which
// function a request belongs to is the invocation it was made in (AsyncLocalStorage), so an
// environment serving several functions (apiEnvironments: 'shared') still tells them apart.
import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync } from 'node:fs';
import http, { type ClientRequest } from 'node:http';
import { syncBuiltinESMExports } from 'node:module';

export interface AuditedCall {
  /** the local function name (crawl, worker-0, finisher-1…), or null outside any invocation */
  fn: string | null;
  /** the SigV4 credential scope's service: dynamodb, sqs, s3, execute-api, secretsmanager */
  service: string;
  method: string;
  /** path and query */
  path: string;
  /** X-Amz-Target of JSON protocols (DynamoDB_20120810.GetItem, AmazonSQS.SendMessage) */
  target?: string;
  /** S3 CopyObject's source */
  copySource?: string;
  /** of a JSON or form body: the names that say which resources a request touches */
  resources?: { tables?: string[]; index?: string; items?: { kind: string; table: string }[]; queueUrl?: string; action?: string };
}

const invocation = new AsyncLocalStorage<string>();

/** Runs one invocation of `functionName`: requests made in it, however deep, are counted to it. */
export function inInvocation<T>(functionName: string, run: () => T): T {
  return invocation.run(functionName, run);
}

const MAX_BODY = 1 << 20;

export function installCallAudit(file: string): void {
  const original = http.request;
  const audited = function (this: unknown, ...args: unknown[]): ClientRequest {
    const request = (original as (...a: unknown[]) => ClientRequest).apply(this, args);
    const authorization = String(request.getHeader('authorization') ?? '');
    const service = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization)?.[1];
    if (!service) return request;
    const fn = invocation.getStore() ?? null;
    const target = request.getHeader('x-amz-target');
    const copySource = request.getHeader('x-amz-copy-source');
    const contentType = String(request.getHeader('content-type') ?? '');
    // Bodies only of the JSON and form protocols (small); S3's payloads are not read.
    const readsBody = service !== 's3' && (target !== undefined || contentType.includes('x-www-form-urlencoded'));
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (chunk: unknown) => {
      if (!readsBody || chunk === undefined || chunk === null || typeof chunk === 'function' || size > MAX_BODY) return;
      const buffer = Buffer.isBuffer(chunk) ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk) : Buffer.from(String(chunk));
      size += buffer.length;
      chunks.push(buffer);
    };
    const write = request.write.bind(request) as (...a: unknown[]) => boolean;
    const end = request.end.bind(request) as (...a: unknown[]) => ClientRequest;
    let recorded = false;
    request.write = ((chunk: unknown, ...rest: unknown[]) => {
      collect(chunk);
      return write(chunk, ...rest);
    }) as typeof request.write;
    request.end = ((chunk?: unknown, ...rest: unknown[]) => {
      collect(chunk);
      if (!recorded) {
        recorded = true;
        const call: AuditedCall = {
          fn,
          service,
          method: request.method,
          path: request.path,
          ...(target !== undefined ? { target: String(target) } : {}),
          ...(copySource !== undefined ? { copySource: String(copySource) } : {}),
          ...(readsBody ? { resources: resourcesOf(Buffer.concat(chunks).toString('utf8'), contentType) } : {}),
        };
        appendFileSync(file, `${JSON.stringify(call)}\n`);
      }
      return end(chunk, ...rest);
    }) as typeof request.end;
    return request;
  };
  http.request = audited as typeof http.request;
  syncBuiltinESMExports();
}

function resourcesOf(body: string, contentType: string): AuditedCall['resources'] {
  if (contentType.includes('x-www-form-urlencoded')) {
    const form = new URLSearchParams(body);
    return { queueUrl: form.get('QueueUrl') ?? undefined, action: form.get('Action') ?? undefined };
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return {};
  }
  const items = Array.isArray(json.TransactItems)
    ? (json.TransactItems as Record<string, { TableName?: string }>[]).flatMap((item) => Object.entries(item).map(([kind, op]) => ({ kind, table: String(op?.TableName) })))
    : undefined;
  return {
    ...(typeof json.TableName === 'string' ? { tables: [json.TableName] } : {}),
    ...(json.RequestItems && typeof json.RequestItems === 'object' ? { tables: Object.keys(json.RequestItems) } : {}),
    ...(typeof json.IndexName === 'string' ? { index: json.IndexName } : {}),
    ...(items ? { items } : {}),
    ...(typeof json.QueueUrl === 'string' ? { queueUrl: json.QueueUrl } : {}),
  };
}
