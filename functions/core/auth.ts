// Who may open a connection, and as whom: the token check, kept free of where the secret comes from.
import { timingSafeEqual, createHash } from 'node:crypto';

/** The principal of every client when the secret is one shared token. */
export const SHARED_TOKEN_PRINCIPAL = 'crawler-client';

/** Compares digests, so neither the length nor the content of the secret leaks through timing. */
export function tokenMatches(presented: string | undefined, secret: string): boolean {
  if (!presented || !secret) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

/**
 * The clients a secret admits. Either one token, shared by every client (principal
 * SHARED_TOKEN_PRINCIPAL), or a JSON object naming each client and its own token,
 * `{"alice":"<token>","bob":"<token>"}`: the name is the principal a client's jobs belong to, so
 * changing a client's token keeps its jobs reachable.
 */
export function clientTokens(secret: string): { principal: string; token: string }[] {
  if (secret.trimStart().startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(secret);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        const entries = Object.entries(parsed as Record<string, unknown>).filter(
          (entry): entry is [string, string] => entry[0] !== '' && typeof entry[1] === 'string' && entry[1] !== '',
        );
        return entries.map(([principal, token]) => ({ principal, token }));
      }
    } catch {
      // not JSON after all: a token that happens to start with '{'
    }
  }
  return secret ? [{ principal: SHARED_TOKEN_PRINCIPAL, token: secret }] : [];
}

/** The principal whose token was presented, if any. Every token is compared, so timing does not tell which one matched. */
export function principalFor(presented: string | undefined, secret: string): string | undefined {
  let principal: string | undefined;
  for (const client of clientTokens(secret)) {
    if (tokenMatches(presented, client.token) && principal === undefined) principal = client.principal;
  }
  return principal;
}

/** The token a client presents: `?token=` (what wscat can send) or `Authorization: Bearer …`. */
export function presentedToken(query: Record<string, string | undefined> | null | undefined, headers: Record<string, string | undefined> | null | undefined): string | undefined {
  const fromQuery = query?.token;
  if (fromQuery) return fromQuery;
  const header = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const match = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
  return match?.[1];
}
