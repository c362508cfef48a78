// Creates the stack's resources in the emulators through the real SDK clients, as CloudFormation
// would on AWS: three tables with TTL, the crawl and finish queues with their DLQs, the results bucket.
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, UpdateTimeToLiveCommand, type AttributeDefinition, type KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { FINISH_VISIBILITY_TIMEOUT_SECONDS } from '../infra/finisher-settings.js';
import { deployedLimits } from '../infra/deployed-limits.js';
import { TABLES, TTL_ATTRIBUTE, type TableDefinition } from '../functions/adapters/dynamodb/table-definitions.js';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface Resources {
  jobsTable: string;
  frontierTable: string;
  connectionsTable: string;
  /** seed credentials of running jobs (no point-in-time recovery on AWS) */
  secretsTable: string;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  /** the finisher's queue (a message `{jobId}` asks for a job's end) and its DLQ */
  finishQueueUrl: string;
  finishQueueArn: string;
  finishDlqUrl: string;
  bucket: string;
  /** running jobs' heartbeats (functions/app/heartbeat.ts) */
  heartbeatQueueUrl: string;
  heartbeatQueueArn: string;
  /** webhook deliveries (functions/handlers/webhook.ts), one attempt a message, and their DLQ */
  webhookQueueUrl: string;
  webhookQueueArn: string;
  webhookDlqUrl: string;
}

export interface ProvisionOptions {
  endpoints: { dynamodb: string; sqs: string; s3: string };
  prefix: string;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  /** the finish queue's visibility timeout: above the finisher's timeout, as on AWS (default: the deployed one) */
  finishVisibilityTimeoutSeconds?: number;
  /** the webhook queue's visibility timeout and receive count (default: the deployed ones) */
  webhookQueue?: { visibilityTimeoutSeconds: number; maxReceiveCount: number };
}

/** A table with the stack's key schema and TTL attribute, as provisioned locally (tests use it too). */
export async function createTable(client: DynamoDBClient, name: string, definition: TableDefinition): Promise<void> {
  const keys: KeySchemaElement[] = [{ AttributeName: definition.partitionKey, KeyType: 'HASH' }];
  const attributes: AttributeDefinition[] = [{ AttributeName: definition.partitionKey, AttributeType: 'S' }];
  if (definition.sortKey) {
    keys.push({ AttributeName: definition.sortKey, KeyType: 'RANGE' });
    attributes.push({ AttributeName: definition.sortKey, AttributeType: 'S' });
  }
  for (const index of definition.indexes ?? []) attributes.push({ AttributeName: index.partitionKey, AttributeType: 'S' });
  const indexes = (definition.indexes ?? []).map((index) => ({
    IndexName: index.name,
    KeySchema: [{ AttributeName: index.partitionKey, KeyType: 'HASH' as const }],
    Projection: { ProjectionType: 'KEYS_ONLY' as const },
  }));
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: keys,
      AttributeDefinitions: attributes,
      ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
    }),
  );
  await client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }));
}

export async function provision(options: ProvisionOptions): Promise<Resources> {
  const { endpoints, prefix } = options;
  const dynamo = new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: endpoints.dynamodb });
  const sqs = new SQSClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: endpoints.sqs });
  const s3 = new S3Client({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: endpoints.s3, forcePathStyle: true });
  const resources = {
    jobsTable: `${prefix}-jobs`,
    frontierTable: `${prefix}-frontier`,
    connectionsTable: `${prefix}-connections`,
    secretsTable: `${prefix}-secrets`,
    bucket: `${prefix}-results`,
  };
  await Promise.all([
    createTable(dynamo, resources.jobsTable, TABLES.jobs),
    createTable(dynamo, resources.frontierTable, TABLES.frontier),
    createTable(dynamo, resources.connectionsTable, TABLES.connections),
    createTable(dynamo, resources.secretsTable, TABLES.secrets),
    s3.send(new CreateBucketCommand({ Bucket: resources.bucket })),
  ]);
  const crawl = await queueWithDlq(sqs, `${prefix}-crawl`, options.visibilityTimeoutSeconds, options.maxReceiveCount);
  const finish = await queueWithDlq(sqs, `${prefix}-finish`, options.finishVisibilityTimeoutSeconds ?? FINISH_VISIBILITY_TIMEOUT_SECONDS, options.maxReceiveCount);
  const heartbeats = await provisionHeartbeatQueue(sqs, prefix);
  const webhookLimits = options.webhookQueue ?? deployedLimits().webhook;
  const webhooks = await queueWithDlq(sqs, `${prefix}-webhook`, webhookLimits.visibilityTimeoutSeconds, webhookLimits.maxReceiveCount);
  dynamo.destroy();
  sqs.destroy();
  s3.destroy();
  return {
    ...resources,
    queueUrl: crawl.url,
    queueArn: crawl.arn,
    dlqUrl: crawl.dlqUrl,
    finishQueueUrl: finish.url,
    finishQueueArn: finish.arn,
    finishDlqUrl: finish.dlqUrl,
    ...heartbeats,
    webhookQueueUrl: webhooks.url,
    webhookQueueArn: webhooks.arn,
    webhookDlqUrl: webhooks.dlqUrl,
  };
}

/** A queue whose messages go to its DLQ (`{name}-dlq`, kept 14 days) after `maxReceiveCount` receives. */
async function queueWithDlq(sqs: SQSClient, name: string, visibilityTimeoutSeconds: number, maxReceiveCount: number): Promise<{ url: string; arn: string; dlqUrl: string }> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq`, Attributes: { MessageRetentionPeriod: '1209600' } }));
  const dlqUrl = dlq.QueueUrl ?? '';
  const dlqAttributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqAttributes.Attributes?.QueueArn, maxReceiveCount }),
      },
    }),
  );
  const url = queue.QueueUrl ?? '';
  const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url, arn: attributes.Attributes?.QueueArn ?? '', dlqUrl };
}

/** The heartbeat queue, as the CDK stack makes it: a message's delay is the interval; 60 s of visibility. */
async function provisionHeartbeatQueue(sqs: SQSClient, prefix: string): Promise<{ heartbeatQueueUrl: string; heartbeatQueueArn: string }> {
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-heartbeat`, Attributes: { VisibilityTimeout: '60' } }));
  const heartbeatQueueUrl = queue.QueueUrl ?? '';
  const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: heartbeatQueueUrl, AttributeNames: ['QueueArn'] }));
  return { heartbeatQueueUrl, heartbeatQueueArn: attributes.Attributes?.QueueArn ?? '' };
}

/** Deletes the stack's tables from a DynamoDB that outlives the stack (the test suite's shared one). */
export async function deprovisionTables(endpoints: { dynamodb: string }, resources: Resources): Promise<void> {
  const dynamo = new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: endpoints.dynamodb });
  try {
    await Promise.all(
      [resources.jobsTable, resources.frontierTable, resources.connectionsTable, resources.secretsTable].map((TableName) =>
        dynamo.send(new DeleteTableCommand({ TableName })).catch((error: Error) => {
          if (error.name !== 'ResourceNotFoundException') throw error;
        }),
      ),
    );
  } finally {
    dynamo.destroy();
  }
}
