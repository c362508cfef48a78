// The stack's upstream proxies (core/upstream-proxy.ts): on AWS a Secrets Manager secret holding
// their list (read when the crawler environment renders its first page, then kept, with a refresh
// so a rotated secret takes effect without a deploy), locally the UPSTREAM_PROXIES variable.
// The list holds credentials: it is parsed here and only the masked forms ever reach a log.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseProxyList, type UpstreamProxy } from '../core/upstream-proxy.js';
import type { Config } from './config.js';

const REFRESH_MS = 5 * 60_000;

export type UpstreamProxies = () => Promise<readonly UpstreamProxy[]>;

/** The stack's list, or undefined when the stack names none. */
export function stackUpstreamProxies(config: Config, client?: SecretsManagerClient): UpstreamProxies | undefined {
  const { list, secretArn } = config.upstreamProxies;
  if (list !== undefined) {
    // Parsed once; a bad list fails every page with the reason (never silently direct).
    let parsed: Promise<readonly UpstreamProxy[]> | undefined;
    return () => (parsed ??= Promise.resolve().then(() => parseProxyList(list)));
  }
  if (!secretArn) return undefined;
  let cached: { proxies: Promise<readonly UpstreamProxy[]>; at: number } | undefined;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > REFRESH_MS) {
      const secrets = (client ??= new SecretsManagerClient({ region: config.region }));
      const proxies = secrets.send(new GetSecretValueCommand({ SecretId: secretArn })).then((result) => parseProxyList(result.SecretString ?? ''));
      cached = { proxies, at: now };
      // a failed read is tried again by the next page, not kept for the refresh period
      proxies.catch(() => {
        if (cached?.proxies === proxies) cached = undefined;
      });
    }
    return cached.proxies;
  };
}
