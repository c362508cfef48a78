// The usage meters on the real SDK clients (adapters/usage/sdk-meters.ts): DynamoDB's consumed
// capacity as DynamoDB Local returns it, S3 requests by price class against the S3 emulator, both
// counted to the job of the scope the request is made in, and nothing counted or changed outside one.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../../functions/adapters/dynamodb/table-definitions.js';
import { meterDynamo, meterS3 } from '../../functions/adapters/usage/sdk-meters.js';
import { InvocationTally, withUsageScope } from '../../functions/adapters/usage/usage-meter.js';
import { startDynamoDb } from '../../local/emulators/dynamodb.js';
import { startSqsS3 } from '../../local/emulators/sqs-s3.js';
import { createTable } from '../../local/provision.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
let dynamoEmulator: Awaited<ReturnType<typeof startDynamoDb>>;
let s3Emulator: Awaited<ReturnType<typeof startSqsS3>>;
let db: DynamoDBDocumentClient;
let s3: S3Client;

beforeAll(async () => {
  [dynamoEmulator, s3Emulator] = await Promise.all([startDynamoDb({ port: 0 }), startSqsS3()]);
  const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamoEmulator.endpoint, credentials });
  await createTable(raw, 'jobs', TABLES.jobs);
  db = DynamoDBDocumentClient.from(raw);
  s3 = new S3Client({ region: 'us-east-1', endpoint: s3Emulator.endpoint, forcePathStyle: true, credentials });
  await s3.send(new CreateBucketCommand({ Bucket: 'usage' }));
  // As the local stack meters DynamoDB Local: transactions billed as DynamoDB bills them.
  meterDynamo(db, { emulated: true });
  meterS3(s3);
}, 120_000);

afterAll(async () => {
  await Promise.all([dynamoEmulator?.stop(), s3Emulator?.stop()]);
});

describe('usage meters', () => {
  it('count DynamoDB capacity and S3 requests to the scope\'s job', async () => {
    const tally = new InvocationTally(Date.now(), 2048);
    tally.received('job-a');
    await withUsageScope('job-a', tally, async () => {
      // 3 KB: three write units
      await db.send(new PutCommand({ TableName: 'jobs', Item: { jobId: 'x', text: 'x'.repeat(3000) } }));
      // strongly consistent, under 4 KB: one read unit
      await db.send(new GetCommand({ TableName: 'jobs', Key: { jobId: 'x' }, ConsistentRead: true }));
      await db.send(new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: 'jobs', Item: { jobId: 'y' } } },
          { Update: { TableName: 'jobs', Key: { jobId: 'z' }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': 1 } } },
        ],
      }));
      // refused by its condition: no capacity returned, one unit charged
      await expect(
        db.send(new UpdateCommand({ TableName: 'jobs', Key: { jobId: 'x' }, UpdateExpression: 'SET a = :a', ConditionExpression: 'attribute_not_exists(jobId)', ExpressionAttributeValues: { ':a': 1 } })),
      ).rejects.toThrow();
      await s3.send(new PutObjectCommand({ Bucket: 'usage', Key: 'k', Body: 'hello' }));
      await (await s3.send(new GetObjectCommand({ Bucket: 'usage', Key: 'k' }))).Body?.transformToString();
    });
    const counted = tally.drain(Date.now()).get('job-a');
    // DynamoDB Local returns one unit a transaction item, billed two on DynamoDB: 3 + 2 × 2 + 1 written
    expect(counted).toMatchObject({ dynamoWriteUnits: 8, dynamoReadUnits: 1, s3Puts: 1, s3Gets: 1, messagesReceived: 1 });
  });

  it('outside a scope, leave requests as they are and count nothing', async () => {
    const tally = new InvocationTally(Date.now(), 2048);
    const put = await db.send(new PutCommand({ TableName: 'jobs', Item: { jobId: 'outside' } }));
    expect(put.ConsumedCapacity).toBeUndefined();
    await s3.send(new PutObjectCommand({ Bucket: 'usage', Key: 'outside', Body: 'x' }));
    expect(tally.drain(Date.now()).size).toBe(0);
  });
});
