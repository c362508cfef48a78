// Extra request headers and cookies a crawl sends to its seeds' hosts (the contract's `headers` and
// `cookies`), and nowhere else: they may be secrets (a session, an API key), so which request gets
// them is decided here, per request, by the request's own origin (scheme, host and port) — a
// third-party script, an image or a redirect to another host gets none, and neither does the seed's
// host over another scheme or port: an `http://` link of an `https://` seed would carry an
// Authorization header in clear text, and another port may be another service (or another tenant).
import { z } from 'zod';

export interface RequestCookie {
  name: string;
  value: string;
  /** sent only to paths under this one (RFC 6265 path-match); default "/" */
  path?: string;
}

export interface SeedCredentials {
  headers?: Record<string, string>;
  cookies?: RequestCookie[];
  /**
   * the crawl's upstream proxy URL with its credentials (`proxy`): kept with the headers and cookies
   * because it is a secret of the same kind, but used for every request (core/upstream-proxy.ts)
   */
  proxy?: string;
}

export const CREDENTIAL_LIMITS = {
  maxHeaders: 20,
  maxHeaderNameLength: 256,
  maxHeaderValueLength: 4_096,
  maxCookies: 20,
  maxCookieNameLength: 256,
  maxCookieValueLength: 4_096,
  maxCookiePathLength: 1_024,
} as const;

/**
 * Headers a client may not set: those Chromium (the Fetch standard) forbids or sets itself, those
 * that describe the connection or the body and would break the request (hop-by-hop, Host,
 * Content-Length), conditional and range requests that would turn pages into 304s or fragments, and
 * the crawler's own identity (User-Agent: robots.txt rules are matched against it). Cookies go in
 * `cookies`, where they are kept to the seeds' origins and merged with the site's own.
 */
const FORBIDDEN_HEADERS = new Set([
  'accept-charset',
  'accept-encoding',
  'access-control-request-headers',
  'access-control-request-method',
  'connection',
  'content-length',
  'cookie',
  'cookie2',
  'date',
  'dnt',
  'expect',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'keep-alive',
  'origin',
  'range',
  'referer',
  'set-cookie',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'via',
]);
const FORBIDDEN_PREFIXES = ['proxy-', 'sec-'];

/** Why the header may not be set, or undefined when it may. */
export function forbiddenHeaderReason(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower === 'cookie' || lower === 'cookie2') return 'send cookies with the cookies option';
  if (FORBIDDEN_HEADERS.has(lower) || FORBIDDEN_PREFIXES.some((prefix) => lower.startsWith(prefix))) {
    return 'the browser sets it, or it would break the crawl';
  }
  return undefined;
}

// RFC 9110 token characters for names; a value may hold visible characters, spaces and tabs only.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
// A cookie's name is a token; its value and path may not end the cookie (;) or hold controls.
const COOKIE_TEXT = /^[\x21-\x2b\x2d-\x3a\x3c-\x7e]*$/;
const COOKIE_PATH = /^\/[\x20-\x3a\x3c-\x7e]*$/;

/** The header names are named in errors; their values never are (they may be secrets). */
export const headersSchema = z
  .record(z.string(), z.string({ error: (issue) => (issue.code === 'invalid_type' ? 'a header value must be a string' : undefined) }).max(CREDENTIAL_LIMITS.maxHeaderValueLength))
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length > CREDENTIAL_LIMITS.maxHeaders) ctx.addIssue({ code: 'custom', message: `at most ${CREDENTIAL_LIMITS.maxHeaders} headers` });
    const seen = new Set<string>();
    for (const name of names) {
      const shown = JSON.stringify(name.slice(0, 64));
      if (name.length > CREDENTIAL_LIMITS.maxHeaderNameLength || !TOKEN.test(name)) {
        ctx.addIssue({ code: 'custom', message: `header name ${shown} is not a valid HTTP header name`, path: [name.slice(0, 64)] });
        continue;
      }
      const reason = forbiddenHeaderReason(name);
      if (reason) ctx.addIssue({ code: 'custom', message: `header ${shown} is not allowed: ${reason}`, path: [name] });
      if (seen.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', message: `header ${shown} is given twice`, path: [name] });
      seen.add(name.toLowerCase());
      if (!FIELD_VALUE.test(headers[name]!)) {
        ctx.addIssue({ code: 'custom', message: `the value of header ${shown} holds a line break or a control character`, path: [name] });
      }
    }
  });

const cookieSchema = z.strictObject({
  name: z
    .string({ error: (issue) => (issue.code === 'invalid_type' ? 'each cookie needs a name' : undefined) })
    .min(1, { error: 'each cookie needs a name' })
    .max(CREDENTIAL_LIMITS.maxCookieNameLength)
    .regex(TOKEN, { error: 'a cookie name is a token: letters, digits and !#$%&\'*+-.^_`|~' }),
  value: z
    .string({ error: (issue) => (issue.code === 'invalid_type' ? 'each cookie needs a value (a string)' : undefined) })
    .max(CREDENTIAL_LIMITS.maxCookieValueLength)
    .regex(COOKIE_TEXT, { error: 'a cookie value may not hold spaces, quotes, commas, semicolons, backslashes or control characters' }),
  path: z
    .string()
    .max(CREDENTIAL_LIMITS.maxCookiePathLength)
    .regex(COOKIE_PATH, { error: 'a cookie path starts with / and holds no semicolon or control character' })
    .optional(),
});

export const cookiesSchema = z
  .array(cookieSchema)
  .max(CREDENTIAL_LIMITS.maxCookies, { error: `at most ${CREDENTIAL_LIMITS.maxCookies} cookies` })
  .superRefine((cookies, ctx) => {
    const seen = new Set<string>();
    cookies.forEach((cookie, index) => {
      const key = `${cookie.name}\n${cookie.path ?? '/'}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `cookie ${JSON.stringify(cookie.name.slice(0, 64))} is given twice for one path`, path: [index, 'name'] });
      seen.add(key);
    });
  });

/**
 * The origins of the seeds (`https://host:port`, the default port left out as URL.origin does): the
 * only ones that get the job's headers and cookies.
 */
export function seedOriginsOf(seeds: readonly string[]): string[] {
  return [...new Set(seeds.map((seed) => new URL(seed).origin))];
}

/** RFC 6265 §5.1.4: the request path is the cookie path, or below it at a "/" boundary. */
export function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** What a request needs added: nothing (undefined) unless it goes to a seed's origin. */
export interface CredentialOverrides {
  headers: Record<string, string>;
  /** the Cookie header to send: the browser's own cookies first, then the job's */
  cookie?: string;
}

/**
 * The job's headers and cookies for one request, merged with what the browser would send. The
 * site's own cookie of the same name wins: it is the newer state (a session the site renewed).
 */
export function credentialOverrides(
  requestUrl: string,
  browserCookieHeader: string | undefined,
  credentials: SeedCredentials & { origins: readonly string[] },
): CredentialOverrides | undefined {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return undefined;
  }
  // The origin whole: the same host over http, or on another port, is not the seed's.
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !credentials.origins.includes(url.origin)) return undefined;
  const own = (browserCookieHeader ?? '').split(';').map((pair) => pair.trim()).filter(Boolean);
  const ownNames = new Set(own.map((pair) => pair.split('=')[0]!.trim()));
  const added = (credentials.cookies ?? [])
    .filter((cookie) => pathMatches(url.pathname || '/', cookie.path ?? '/') && !ownNames.has(cookie.name))
    .map((cookie) => `${cookie.name}=${cookie.value}`);
  const headers = credentials.headers ?? {};
  if (added.length === 0 && Object.keys(headers).length === 0) return undefined;
  return { headers, ...(added.length > 0 ? { cookie: [...own, ...added].join('; ') } : {}) };
}
