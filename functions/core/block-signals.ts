// How a bot challenge or a block page gives itself away: a table of signals, one row each, read by
// core/pushback.ts. A row names the vendor it comes from, so a blocked page's record can say why it
// was judged so. Rules match what the common vendors document or serve; none of them needs the
// crawler to hide what it is (no stealth: the crawler keeps its honest User-Agent, and a named block
// is the result). Most specific first: the first row that matches decides the reason.

export type BlockReason = 'challenge' | 'captcha' | 'forbidden' | 'rate-limited';

/** What the signals look at: the main document's response and what the browser made of it. */
export interface BlockEvidence {
  status: number | null;
  /** a lowercase allow-list of the main response's headers (RESPONSE_HEADER_ALLOW_LIST) */
  headers: Record<string, string>;
  title: string;
  /** the start of the rendered HTML (challenge pages are small; see HTML_SCAN_CHARS) */
  html: string;
}

export interface BlockSignal {
  /** short name for the page record and logs, e.g. "cloudflare-challenge" */
  name: string;
  reason: Exclude<BlockReason, 'rate-limited'>;
  matches(evidence: BlockEvidence): boolean;
}

/**
 * The main response's headers a classifier may read; nothing else of them is kept on a page (other
 * headers may carry cookies or tokens). Lowercase names; any renderer fills it the same way.
 */
export const RESPONSE_HEADER_ALLOW_LIST = ['retry-after', 'cf-mitigated', 'server', 'x-datadome', 'x-iinfo', 'x-cdn'] as const;

/** Only this much of the HTML is scanned: challenge and block pages are a few KB, real pages can be MBs. */
export const HTML_SCAN_CHARS = 64 * 1024;

/** Titles a captcha interstitial gives itself (the page asks a human to prove it is one). */
const HUMAN_CHECK_TITLE = /verify (that )?you are (a )?human|are you a robot|human verification|security check|captcha|bot (check|verification)|one more step/i;

const status = (e: BlockEvidence) => e.status ?? 0;
const html = (e: BlockEvidence, needle: string | RegExp) => (typeof needle === 'string' ? e.html.includes(needle) : needle.test(e.html));

/** A captcha widget on a page that is only a wall: an error status or a human-check title. */
function captchaWall(e: BlockEvidence, widget: RegExp): boolean {
  return html(e, widget) && (status(e) >= 400 || HUMAN_CHECK_TITLE.test(e.title));
}

export const BLOCK_SIGNALS: readonly BlockSignal[] = [
  // Cloudflare marks every challenge it serves (managed, JS, interactive) with this header.
  { name: 'cloudflare-challenge', reason: 'challenge', matches: (e) => e.headers['cf-mitigated']?.toLowerCase() === 'challenge' },
  // Its challenge page without the header (older deployments, a cached copy): title and platform script.
  {
    name: 'cloudflare-challenge',
    reason: 'challenge',
    matches: (e) => /^just a moment\.\.\.$/i.test(e.title.trim()) || html(e, '/cdn-cgi/challenge-platform/') || html(e, 'cf-browser-verification') || html(e, 'window._cf_chl_opt'),
  },
  // Cloudflare's firewall block ("Sorry, you have been blocked", error 1020 and kin).
  { name: 'cloudflare-block', reason: 'forbidden', matches: (e) => /^attention required! \| cloudflare$/i.test(e.title.trim()) || html(e, 'cf-error-details') },
  // DataDome: its block answers carry x-datadome; the wall loads its captcha from captcha-delivery.com.
  { name: 'datadome-captcha', reason: 'captcha', matches: (e) => html(e, 'captcha-delivery.com') && (status(e) >= 400 || 'x-datadome' in e.headers) },
  { name: 'datadome-block', reason: 'forbidden', matches: (e) => 'x-datadome' in e.headers && status(e) === 403 },
  // PerimeterX / HUMAN: the "Press & Hold" captcha page.
  {
    name: 'perimeterx-captcha',
    reason: 'captcha',
    matches: (e) => html(e, /id=["']px-captcha["']/) || html(e, 'captcha.px-cdn.net') || (html(e, 'window._pxAppId') && /access to this page has been denied/i.test(e.title)),
  },
  // Imperva (Incapsula): its interstitial is an iframe to _Incapsula_Resource; blocks quote an incident ID.
  { name: 'imperva-challenge', reason: 'challenge', matches: (e) => html(e, '_Incapsula_Resource') && !html(e, 'Incapsula incident ID') },
  { name: 'imperva-block', reason: 'forbidden', matches: (e) => html(e, 'Incapsula incident ID') || html(e, 'Request unsuccessful. Incapsula') },
  // Akamai Bot Manager's challenge (sec-cpt) and its edge's "Access Denied" page.
  { name: 'akamai-challenge', reason: 'challenge', matches: (e) => html(e, '/_sec/cp_challenge/') || html(e, 'sec-if-cpt-container') },
  {
    name: 'akamai-block',
    reason: 'forbidden',
    matches: (e) => status(e) === 403 && /^access denied$/i.test(e.title.trim()) && (/akamai/i.test(e.headers['server'] ?? '') || html(e, 'errors.edgesuite.net')),
  },
  // Captcha interstitials of the general widgets: only when the page is a wall, not a form that has one.
  { name: 'recaptcha-wall', reason: 'captcha', matches: (e) => captchaWall(e, /www\.(google|recaptcha)\.(com|net)\/recaptcha\/|class=["'][^"']*g-recaptcha/) },
  { name: 'hcaptcha-wall', reason: 'captcha', matches: (e) => captchaWall(e, /hcaptcha\.com\/1\/api\.js|class=["'][^"']*h-captcha/) },
  { name: 'turnstile-wall', reason: 'captcha', matches: (e) => captchaWall(e, /challenges\.cloudflare\.com\/turnstile\/|class=["'][^"']*cf-turnstile/) },
];
