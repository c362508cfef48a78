// Route `$disconnect`: forgets the connection. Its jobs go on; `status` finds them.
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { appRuntime, logger } from './runtime.js';

export const handler = async (event: APIGatewayProxyWebsocketEventV2): Promise<APIGatewayProxyResultV2> => {
  const { deps } = appRuntime();
  await deps.connections.close(event.requestContext.connectionId);
  logger.info('disconnected', { connectionId: event.requestContext.connectionId });
  return { statusCode: 200 };
};
