// The SDK clients retry transient failures themselves before our code sees them: how hard each
// tries, and that a silent connection is given up rather than holding an invocation.
import { describe, expect, it } from 'vitest';
import { createAwsClients, RETRY_ATTEMPTS } from '../../functions/adapters/aws-clients.js';
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
});
