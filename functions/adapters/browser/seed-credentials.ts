// The job's headers and cookies on an intercepted request of the tab (core/seed-credentials.ts
// decides which requests get them: those to a seed's origin only). Every request, each redirect hop
// included, passes here on its own: Chromium does not carry a hop's added headers to the next one
// (checked with Chromium 147), so a redirect to another origin (another host, http, another port) leaves without them.
//
// Cookies go as the Cookie header of those requests, not into the browser's cookie store: the store
// is shared by every tab of a --single-process browser (other jobs' pages, rendered at the same
// time), and a stored cookie would go to every port of the host name. Chromium 145 and later send
// a Cookie header set at interception as given; the browser's own cookies for the URL are in the
// intercepted headers and are kept.
import type { ContinueRequestOverrides, HTTPRequest } from 'puppeteer-core';
import { credentialOverrides, type SeedCredentials } from '../../core/seed-credentials.js';

export type TabCredentials = SeedCredentials & { origins: readonly string[] };

/** The request's headers with the job's added, or undefined to send it as the page made it. */
export function credentialHeaders(request: HTTPRequest, credentials: TabCredentials | undefined): ContinueRequestOverrides | undefined {
  if (!credentials) return undefined;
  const sent = request.headers();
  const added = credentialOverrides(request.url(), sent['cookie'], credentials);
  if (!added) return undefined;
  const headers: Record<string, string> = { ...sent };
  for (const [name, value] of Object.entries(added.headers)) headers[name.toLowerCase()] = value;
  if (added.cookie !== undefined) headers['cookie'] = added.cookie;
  return { headers };
}
