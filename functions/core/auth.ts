// Who may open a connection: the token check, kept free of where the secret comes from.
import { timingSafeEqual, createHash } from 'node:crypto';

/** Compares digests, so neither the length nor the content of the secret leaks through timing. */
export function tokenMatches(presented: string | undefined, secret: string): boolean {
  if (!presented || !secret) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

/** The token a client presents: `?token=` (what wscat can send) or `Authorization: Bearer …`. */
export function presentedToken(query: Record<string, string | undefined> | null | undefined, headers: Record<string, string | undefined> | null | undefined): string | undefined {
  const fromQuery = query?.token;
  if (fromQuery) return fromQuery;
  const header = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const match = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
  return match?.[1];
}
