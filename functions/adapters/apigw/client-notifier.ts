// Pushes messages to WebSocket clients through the API Gateway Management API (@connections).
import { GoneException, PostToConnectionCommand, type ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { ClientNotifier } from '../../core/ports.js';
import type { ServerMessage } from '../../core/messages.js';

export class ApiGatewayNotifier implements ClientNotifier {
  constructor(private readonly client: ApiGatewayManagementApiClient) {}

  async send(connectionId: string, message: ServerMessage): Promise<boolean> {
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify(message) }));
      return true;
    } catch (error) {
      // The client went away: results stay in S3 and `status` returns them.
      if (error instanceof GoneException || (error as Error)?.name === 'GoneException') return false;
      throw error;
    }
  }
}
