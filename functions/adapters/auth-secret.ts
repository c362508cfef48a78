// The connection token: from Secrets Manager on AWS (cached for the life of the environment, with
// a short refresh so a rotated secret takes effect), or from AUTH_TOKEN locally.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Config } from './config.js';

const REFRESH_MS = 5 * 60_000;
let cached: { value: string; at: number } | undefined;
let client: SecretsManagerClient | undefined;

export async function connectionToken(config: Config, now = Date.now()): Promise<string> {
  if (config.auth.token) return config.auth.token;
  if (!config.auth.secretArn) throw new Error('AUTH_MODE=token needs AUTH_TOKEN or AUTH_TOKEN_SECRET_ARN');
  if (cached && now - cached.at < REFRESH_MS) return cached.value;
  client ??= new SecretsManagerClient({ region: config.region });
  const result = await client.send(new GetSecretValueCommand({ SecretId: config.auth.secretArn }));
  const value = result.SecretString ?? '';
  cached = { value, at: now };
  return value;
}
