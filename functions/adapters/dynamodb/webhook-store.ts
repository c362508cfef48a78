// A job's webhook at rest. The receiver's URL and its `whsec_` secret live in the secrets table
// (no point-in-time recovery, as the seed credentials: adapters/dynamodb/job-secrets.ts) under the
// key `webhook#<jobId>`, which no job id can take (job ids are UUIDs), and which the job's final
// transaction does not delete: the delivery runs after the job ends, and a redrive's end is
// delivered too. It expires with the job's records (the job item's `expiresAt`).
// Where the latest delivery stands is the job item's `webhookDelivery`, which `status` shows.
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { WebhookDelivery, WebhookStore, WebhookTarget } from '../../core/webhook.js';

export const webhookSecretKey = (jobId: string) => `webhook#${jobId}`;

export class DynamoWebhookStore implements WebhookStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { jobs: string; secrets: string },
  ) {}

  async putTarget(jobId: string, target: WebhookTarget, expiresAt: number): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tables.secrets, Item: { jobId: webhookSecretKey(jobId), webhook: target, expiresAt } }));
  }

  async getTarget(jobId: string): Promise<WebhookTarget | null> {
    const result = await this.db.send(new GetCommand({ TableName: this.tables.secrets, Key: { jobId: webhookSecretKey(jobId) }, ConsistentRead: true }));
    const item = result.Item;
    if (!item || (typeof item.expiresAt === 'number' && Date.now() >= item.expiresAt * 1000)) return null;
    return item.webhook as WebhookTarget;
  }

  async deleteTarget(jobId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tables.secrets, Key: { jobId: webhookSecretKey(jobId) } }));
  }

  async recordDelivery(jobId: string, delivery: WebhookDelivery): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tables.jobs,
          Key: { jobId },
          UpdateExpression: 'SET webhookDelivery = :delivery',
          // The job exists; an earlier run's delivery, or this one still pending, may be replaced;
          // this one's end may not (a duplicate attempt must not undo `delivered`).
          ConditionExpression:
            'attribute_exists(jobId) AND (attribute_not_exists(webhookDelivery) OR webhookDelivery.webhookId <> :id OR webhookDelivery.#state = :pending)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':delivery': delivery, ':id': delivery.webhookId, ':pending': 'pending' },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async getDelivery(jobId: string): Promise<WebhookDelivery | null> {
    const result = await this.db.send(new GetCommand({ TableName: this.tables.jobs, Key: { jobId }, ProjectionExpression: 'webhookDelivery', ConsistentRead: true }));
    return (result.Item?.webhookDelivery as WebhookDelivery | undefined) ?? null;
  }
}
