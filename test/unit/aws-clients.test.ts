// The SDK clients retry transient failures themselves before our code sees them: how hard each
// tries, and that a silent connection is given up rather than holding an invocation.
import { describe, expect, it } from 'vitest';
import { loggerMiddleware } from '@aws-sdk/core/client';
import { createAwsClients, RETRY_ATTEMPTS, SDK_LOGGER } from '../../functions/adapters/aws-clients.js';
import { readConfig } from '../../functions/adapters/config.js';

const config = readConfig({
  JOBS_TABLE: 'jobs',
  FRONTIER_TABLE: 'frontier',
  CONNECTIONS_TABLE: 'connections',
  CRAWL_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/crawl',
  RESULTS_BUCKET: 'results',
  CONNECTIONS_ENDPOINT: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
  AWS_REGION: 'eu-west-1',
});

describe('SDK clients', () => {
  it('retry in standard mode, DynamoDB hardest', async () => {
    const clients = createAwsClients(config);
    expect(await clients.dynamo.config.maxAttempts()).toBe(RETRY_ATTEMPTS.dynamodb);
    expect(await clients.s3.config.maxAttempts()).toBe(RETRY_ATTEMPTS.s3);
    expect(await clients.sqs.config.maxAttempts()).toBe(RETRY_ATTEMPTS.sqs);
    expect(await clients.connections.config.maxAttempts()).toBe(RETRY_ATTEMPTS.connections);
    const retryMode = clients.dynamo.config.retryMode;
    expect(typeof retryMode === 'string' ? retryMode : await retryMode()).toBe('standard');
    expect(RETRY_ATTEMPTS.dynamodb).toBeGreaterThan(3);
    expect(RETRY_ATTEMPTS.s3).toBeGreaterThan(3);
  });

  it('give up a connection that cannot be opened or stays silent', async () => {
    const clients = createAwsClients(config);
    for (const client of [clients.dynamo, clients.s3, clients.sqs, clients.connections]) {
      const handler = client.config.requestHandler as { configProvider?: Promise<Record<string, unknown>>; config?: Record<string, unknown> };
      const settings = handler.config ?? (await handler.configProvider) ?? {};
      expect(settings).toMatchObject({ connectionTimeout: 5_000, socketTimeout: 30_000 });
    }
  });

  it('give the SDK a logger without info/error, so it does not copy every request and response to mask them', async () => {
    const clients = createAwsClients(config);
    for (const client of [clients.dynamo, clients.s3, clients.sqs, clients.connections]) expect(client.config.logger).toBe(SDK_LOGGER);
    // the SDK's own logger middleware, given that logger: the masking filters are never called
    let filtered = 0;
    const filter = (value: unknown) => {
      filtered++;
      return value;
    };
    const context = { clientName: 'c', commandName: 'op', logger: SDK_LOGGER, inputFilterSensitiveLog: filter, outputFilterSensitiveLog: filter };
    const ok = loggerMiddleware()(async () => ({ output: { $metadata: {} }, response: {} }), context as never);
    await ok({ input: { Key: 'k' } } as never);
    const failing = loggerMiddleware()(async () => Promise.reject(new Error('boom')), context as never);
    await expect(failing({ input: { Key: 'k' } } as never)).rejects.toThrow('boom');
    expect(filtered).toBe(0);
    // with a logger that has info (the SDK's default NoOpLogger does), both filters run
    await loggerMiddleware()(async () => ({ output: { $metadata: {} }, response: {} }), { ...context, logger: { ...SDK_LOGGER, info() {} } } as never)({ input: {} } as never);
    expect(filtered).toBe(2);
  });
});
