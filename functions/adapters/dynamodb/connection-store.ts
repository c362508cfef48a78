// Open WebSocket connections, kept for inspection and per-connection limits.
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConnectionStore } from '../../core/ports.js';

/**
 * API Gateway closes a connection after 2 hours at most; a day of TTL cleans up the items of
 * missed $disconnects (and of a connection a job recreated after its $disconnect, see
 * connection-slots.ts).
 */
export const CONNECTION_TTL_SECONDS = 24 * 3600;

export class DynamoConnectionStore implements ConnectionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async open(connectionId: string, connectedAt: number): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { connectionId, connectedAt, expiresAt: Math.floor(connectedAt / 1000) + CONNECTION_TTL_SECONDS },
      }),
    );
  }

  async close(connectionId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { connectionId } }));
  }
}
