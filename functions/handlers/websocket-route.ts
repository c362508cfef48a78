// The shape every WebSocket route handler shares: run the use case, answer over the socket, and
// turn any failure into a typed `error` frame. A route never throws: the connection stays usable.
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { ClientInputError, ErrorCode } from '../core/errors.js';
import { errorMessage, type ServerMessage } from '../core/messages.js';
import type { AppDeps } from '../app/deps.js';
import { appRuntime, logger } from './runtime.js';

type RouteAction = (event: APIGatewayProxyWebsocketEventV2, deps: AppDeps) => Promise<ServerMessage | void>;

export function websocketRoute(action: RouteAction) {
  return async (event: APIGatewayProxyWebsocketEventV2): Promise<APIGatewayProxyResultV2> => {
    const connectionId = event.requestContext.connectionId;
    logger.appendKeys({ connectionId, route: event.requestContext.routeKey });
    let deps: AppDeps;
    try {
      deps = appRuntime().deps;
    } catch (error) {
      logger.error('handler misconfigured', { error: String(error) });
      return { statusCode: 500 };
    }
    let reply: ServerMessage | void;
    try {
      reply = await action(event, deps);
    } catch (error) {
      if (error instanceof ClientInputError) {
        logger.info('client error', { code: error.code, message: error.message });
        reply = errorMessage(error);
      } else {
        logger.error('route failed', { error: error instanceof Error ? error.stack : String(error) });
        reply = errorMessage(new ClientInputError(ErrorCode.internal, 'internal error; nothing was started, please retry'));
      }
    }
    if (reply) {
      try {
        await deps.notifier.send(connectionId, reply);
      } catch (error) {
        logger.error('could not answer the client', { error: String(error) });
      }
    }
    return { statusCode: 200 };
  };
}
