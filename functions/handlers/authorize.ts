// The $connect authorizer: API Gateway calls it before $connect; a Deny (or an error) refuses the
// upgrade with 401/403 and no other handler runs. The principalId of an Allow names the client:
// API Gateway hands it to every route of the connection (requestContext.authorizer.principalId),
// and a job belongs to the principal that created it.
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { connectionToken } from '../adapters/auth-secret.js';
import { readConfig, type Config } from '../adapters/config.js';
import { presentedToken, principalFor, SHARED_TOKEN_PRINCIPAL } from '../core/auth.js';
import { logger } from './runtime.js';

let config: Config | undefined;

function policy(effect: 'Allow' | 'Deny', resource: string, principalId: string): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
  };
}

export const handler = async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  config ??= readConfig();
  if (config.auth.mode === 'none') return policy('Allow', event.methodArn, SHARED_TOKEN_PRINCIPAL);
  const presented = presentedToken(event.queryStringParameters, event.headers);
  const principal = principalFor(presented, await connectionToken(config));
  if (!principal) {
    logger.warn('connection refused: bad or missing token', { sourceIp: event.requestContext?.identity?.sourceIp });
    return policy('Deny', event.methodArn, 'unknown');
  }
  return policy('Allow', event.methodArn, principal);
};
