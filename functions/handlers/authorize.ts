// The $connect authorizer: API Gateway calls it before $connect; a Deny (or an error) refuses the
// upgrade with 401/403 and no other handler runs.
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { connectionToken } from '../adapters/auth-secret.js';
import { readConfig, type Config } from '../adapters/config.js';
import { presentedToken, tokenMatches } from '../core/auth.js';
import { logger } from './runtime.js';

let config: Config | undefined;

function policy(effect: 'Allow' | 'Deny', resource: string): APIGatewayAuthorizerResult {
  return {
    principalId: 'crawler-client',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
  };
}

export const handler = async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  config ??= readConfig();
  if (config.auth.mode === 'none') return policy('Allow', event.methodArn);
  const presented = presentedToken(event.queryStringParameters, event.headers);
  const allowed = tokenMatches(presented, await connectionToken(config));
  if (!allowed) logger.warn('connection refused: bad or missing token', { sourceIp: event.requestContext?.identity?.sourceIp });
  return policy(allowed ? 'Allow' : 'Deny', event.methodArn);
};
