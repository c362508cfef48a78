// SDK clients built from configuration: on AWS the defaults, locally the emulators' endpoints.
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from './config.js';

export interface AwsClients {
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  s3: S3Client;
  connections: ApiGatewayManagementApiClient;
}

/**
 * How hard each client tries before a failure reaches our code (the SDK's standard mode: jittered
 * exponential backoff, throttling and 5xx and network errors retried, a retry budget per client).
 * DynamoDB gets the most attempts: its throttling is short and every page's counters go through the
 * job item, the table's hottest key. What still fails after these attempts is the caller's to retry:
 * a crawl message is redelivered (see core/errors.ts, isTransientFailure).
 */
export const RETRY_ATTEMPTS = { dynamodb: 8, sqs: 5, s3: 5, connections: 3 } as const;

/**
 * A connection that cannot be opened in seconds, or a socket that stays silent, is given up and
 * retried, instead of holding an invocation until its timeout. No limit on a whole request: a large
 * page record may take a while to upload, as long as bytes move.
 */
const requestHandler = { connectionTimeout: 5_000, socketTimeout: 30_000 };

type SdkLogger = NonNullable<NonNullable<ConstructorParameters<typeof S3Client>[0]>['logger']>;
/**
 * The SDK's default logger does nothing, but it has info() and error(), so the SDK's logger
 * middleware first builds a copy of every request and response with sensitive fields masked (about
 * 1 ms of the crawler's CPU per page in a profile). Without those two methods it skips that work.
 * A failure still reaches our code as an error, and our own logs say what failed.
 */
export const SDK_LOGGER = { debug() {}, warn() {}, trace() {} } as unknown as SdkLogger;

export function createAwsClients(config: Config): AwsClients {
  const region = config.region;
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region,
      maxAttempts: RETRY_ATTEMPTS.dynamodb,
      requestHandler,
      logger: SDK_LOGGER,
      ...(config.endpoints.dynamodb ? { endpoint: config.endpoints.dynamodb } : {}),
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  // The SQS endpoint must be set on the client: with only the env variable, the SDK sends to the
  // host inside the QueueUrl.
  const sqs = new SQSClient({ region, maxAttempts: RETRY_ATTEMPTS.sqs, requestHandler, logger: SDK_LOGGER, ...(config.endpoints.sqs ? { endpoint: config.endpoints.sqs } : {}) });
  const s3 = new S3Client({
    region,
    maxAttempts: RETRY_ATTEMPTS.s3,
    requestHandler,
    logger: SDK_LOGGER,
    ...(config.endpoints.s3 ? { endpoint: config.endpoints.s3, forcePathStyle: true } : {}),
  });
  const connections = new ApiGatewayManagementApiClient({
    region,
    maxAttempts: RETRY_ATTEMPTS.connections,
    requestHandler,
    logger: SDK_LOGGER,
    endpoint: config.connectionsEndpoint,
  });
  return { dynamo, sqs, s3, connections };
}
