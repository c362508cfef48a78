// Route `$connect`: records the connection.
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { principalOf } from './caller.js';
import { appRuntime, logger } from './runtime.js';

export const handler = async (event: APIGatewayProxyWebsocketEventV2): Promise<APIGatewayProxyResultV2> => {
  const { deps } = appRuntime();
  await deps.connections.open(event.requestContext.connectionId, deps.clock.now());
  logger.info('connected', { connectionId: event.requestContext.connectionId, principal: principalOf(event) });
  return { statusCode: 200 };
};
