// Who sent a WebSocket message: the principal the $connect authorizer returned. API Gateway passes
// it to every route of the connection as requestContext.authorizer.principalId (the local gateway
// does the same); without an authorizer (auth off) there is none.
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';

export function principalOf(event: APIGatewayProxyWebsocketEventV2): string | undefined {
  const authorizer = (event.requestContext as { authorizer?: { principalId?: unknown } | null }).authorizer;
  const principalId = authorizer?.principalId;
  return typeof principalId === 'string' && principalId !== '' ? principalId : undefined;
}
