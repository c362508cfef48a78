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

export function createAwsClients(config: Config): AwsClients {
  const region = config.region;
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region, ...(config.endpoints.dynamodb ? { endpoint: config.endpoints.dynamodb } : {}) }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  // The SQS endpoint must be set on the client: with only the env variable, the SDK sends to the
  // host inside the QueueUrl.
  const sqs = new SQSClient({ region, ...(config.endpoints.sqs ? { endpoint: config.endpoints.sqs } : {}) });
  const s3 = new S3Client({
    region,
    ...(config.endpoints.s3 ? { endpoint: config.endpoints.s3, forcePathStyle: true } : {}),
  });
  const connections = new ApiGatewayManagementApiClient({ region, endpoint: config.connectionsEndpoint });
  return { dynamo, sqs, s3, connections };
}
