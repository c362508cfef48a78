// Open WebSocket connections, kept for inspection and per-connection limits.
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConnectionStore } from '../../core/ports.js';

const DAY_SECONDS = 24 * 3600;

export class DynamoConnectionStore implements ConnectionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async open(connectionId: string, connectedAt: number): Promise<void> {
    // API Gateway closes a connection after 2 hours at most; a day of TTL cleans up missed $disconnects.
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { connectionId, connectedAt, expiresAt: Math.floor(connectedAt / 1000) + DAY_SECONDS },
      }),
    );
  }

  async close(connectionId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { connectionId } }));
  }
}
