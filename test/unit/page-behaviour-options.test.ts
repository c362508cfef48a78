// The crawl options that act on pages (actions, autoscroll) and the seeds' headers and cookies:
// what is accepted, what is refused (named, and never with a header's or cookie's value), and which
// request gets the headers and cookies.
import { describe, expect, it } from 'vitest';
import { ClientInputError } from '../../functions/core/errors.js';
import { pageBehaviourOf, type JobRecord } from '../../functions/core/job.js';
import { DEFAULT_LIMITS } from '../../functions/core/limits.js';
import { parseCrawlRequest } from '../../functions/core/messages.js';
import { ACTION_LIMITS } from '../../functions/core/page-actions.js';
import { credentialOverrides, pathMatches, seedOriginsOf } from '../../functions/core/seed-credentials.js';

const limits = DEFAULT_LIMITS;
const crawl = (options: object) => parseCrawlRequest(JSON.stringify({ action: 'crawl', url: 'http://127.0.0.1:8080/', ...options }), limits);

function refusal(options: object): string {
  try {
    crawl(options);
  } catch (error) {
    if (error instanceof ClientInputError) {
      expect(error.code).toBe('invalid_request');
      return error.message;
    }
    throw error;
  }
  throw new Error('expected invalid_request');
}

describe('actions and autoscroll', () => {
  it('keeps every kind of step, in order, and autoscroll: false', () => {
    const actions = [{ scroll: 'bottom' }, { click: '#more' }, { type: 'input[name=q]', text: 'crawler' }, { waitFor: '.results a' }, { wait: 250 }];
    expect(crawl({ actions, autoscroll: false })).toMatchObject({ actions, autoscroll: false });
  });

  it('leaves a request without them as it was (autoscroll on, no actions)', () => {
    const request = crawl({ autoscroll: true, actions: [] });
    expect(request).not.toHaveProperty('actions');
    expect(request).not.toHaveProperty('autoscroll');
  });

  it('refuses an unknown action, naming it and its place', () => {
    expect(refusal({ actions: [{ click: 'a' }, { hover: 'a' }] })).toMatch(/actions\.1: unknown action "hover"; expected one of: scroll, click, type, waitFor, wait/);
    expect(refusal({ actions: ['click'] })).toMatch(/actions\.0: each action must be an object/);
    expect(refusal({ actions: [{}] })).toMatch(/actions\.0: empty action/);
  });

  it('refuses a step with fields it does not take', () => {
    expect(refusal({ actions: [{ click: 'a', text: 'x' }] })).toMatch(/actions\.0: unknown field\(s\) in a click action: text/);
    expect(refusal({ actions: [{ scroll: 'top' }] })).toMatch(/actions\.0\.scroll: the only scroll is "bottom"/);
    expect(refusal({ actions: [{ type: 'input' }] })).toMatch(/actions\.0\.text: type needs a text/);
  });

  it('refuses a selector over the cap, a text over the cap, a wait over the cap, too many steps', () => {
    expect(refusal({ actions: [{ click: 'a'.repeat(ACTION_LIMITS.maxSelectorLength + 1) }] })).toMatch(/actions\.0\.click: Too big/);
    expect(refusal({ actions: [{ waitFor: '' }] })).toMatch(/actions\.0\.waitFor: Too small/);
    expect(refusal({ actions: [{ type: 'input', text: 'x'.repeat(ACTION_LIMITS.maxTextLength + 1) }] })).toMatch(/actions\.0\.text: Too big/);
    expect(refusal({ actions: [{ wait: ACTION_LIMITS.maxWaitMs + 1 }] })).toMatch(/actions\.0\.wait: Too big/);
    expect(refusal({ actions: [{ wait: -1 }] })).toMatch(/actions\.0\.wait: Too small/);
    expect(refusal({ actions: [{ wait: 1.5 }] })).toMatch(/actions\.0\.wait/);
    expect(refusal({ actions: Array.from({ length: ACTION_LIMITS.maxActions + 1 }, () => ({ wait: 1 })) })).toMatch(/actions: at most 20 actions/);
    expect(crawl({ actions: Array.from({ length: ACTION_LIMITS.maxActions }, () => ({ wait: ACTION_LIMITS.maxWaitMs })) }).actions).toHaveLength(20);
  });

  it('refuses an autoscroll that is not a boolean', () => {
    expect(refusal({ autoscroll: 'no' })).toMatch(/autoscroll/);
  });
});

describe('consent', () => {
  it('is reject by default, kept only when it is not (so a request without it keeps its reuse key)', () => {
    expect(crawl({}).consent).toBeUndefined();
    expect(crawl({ consent: 'reject' }).consent).toBeUndefined();
    expect(crawl({ consent: 'accept' }).consent).toBe('accept');
    expect(crawl({ consent: 'leave' }).consent).toBe('leave');
  });

  it('refuses any other value, naming the field', () => {
    for (const consent of ['ignore', 'REJECT', true, 1, null]) expect(refusal({ consent })).toMatch(/consent/);
  });

  it("reaches the renderer as the job's choice, reject when the job has none", () => {
    const job = { url: 'http://127.0.0.1:8080/' } as Pick<JobRecord, 'url'>;
    expect(pageBehaviourOf(job).consent).toBe('reject');
    expect(pageBehaviourOf({ ...job, consent: 'leave' }).consent).toBe('leave');
  });
});

describe('headers and cookies', () => {
  const secret = 'Bearer s3cr3t-value';

  it('keeps headers and cookies (a cookie path only when given)', () => {
    expect(crawl({ headers: { Authorization: secret, 'X-Team': 'a b' }, cookies: [{ name: 'session', value: 'abc=' }, { name: 'p', value: '1', path: '/app' }] })).toMatchObject({
      headers: { Authorization: secret, 'X-Team': 'a b' },
      cookies: [{ name: 'session', value: 'abc=' }, { name: 'p', value: '1', path: '/app' }],
    });
  });

  it.each([
    ['Host'],
    ['content-length'],
    ['Connection'],
    ['Transfer-Encoding'],
    ['Keep-Alive'],
    ['Upgrade'],
    ['TE'],
    ['Trailer'],
    ['Proxy-Authorization'],
    ['Sec-Fetch-Mode'],
    ['User-Agent'],
    ['If-None-Match'],
    ['Range'],
  ])('refuses the header %s, naming it and not its value', (name) => {
    const message = refusal({ headers: { [name]: secret } });
    expect(message).toContain(`header "${name}" is not allowed`);
    expect(message).not.toContain('s3cr3t');
  });

  it('sends Cookie headers to the cookies option', () => {
    expect(refusal({ headers: { Cookie: 'a=1' } })).toMatch(/header "Cookie" is not allowed: send cookies with the cookies option/);
  });

  it('refuses a bad header name, a value with a line break, a repeated name, too many headers, never showing a value', () => {
    expect(refusal({ headers: { 'X Bad': 'v' } })).toMatch(/header name "X Bad" is not a valid HTTP header name/);
    const injected = refusal({ headers: { 'X-A': 's3cr3t\r\nHost: evil' } });
    expect(injected).toMatch(/the value of header "X-A" holds a line break/);
    expect(injected).not.toContain('s3cr3t');
    expect(refusal({ headers: { 'X-A': '1', 'x-a': '2' } })).toMatch(/header "x-a" is given twice/);
    expect(refusal({ headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-${i}`, '1'])) })).toMatch(/headers: at most 20 headers/);
    expect(refusal({ headers: { 'X-A': 7 } })).toMatch(/headers\.X-A: a header value must be a string/);
    expect(refusal({ headers: { 'X-A': 'x'.repeat(5000) } })).toMatch(/headers\.X-A: Too big/);
  });

  it('refuses a cookie without a name, a bad value, a bad path, an unknown field, a repeat', () => {
    expect(refusal({ cookies: [{ value: 'v' }] })).toMatch(/cookies\.0\.name: each cookie needs a name/);
    expect(refusal({ cookies: [{ name: '', value: 'v' }] })).toMatch(/cookies\.0\.name: each cookie needs a name/);
    expect(refusal({ cookies: [{ name: 'a', value: 'x;y' }] })).toMatch(/cookies\.0\.value: a cookie value may not hold/);
    expect(refusal({ cookies: [{ name: 'a' }] })).toMatch(/cookies\.0\.value: each cookie needs a value/);
    expect(refusal({ cookies: [{ name: 'a', value: 'v', path: 'app' }] })).toMatch(/cookies\.0\.path: a cookie path starts with \//);
    expect(refusal({ cookies: [{ name: 'a', value: 'v', domain: 'evil.test' }] })).toMatch(/unknown field\(s\): domain|Unrecognized key/);
    expect(refusal({ cookies: [{ name: 'a', value: '1' }, { name: 'a', value: '2' }] })).toMatch(/cookies\.1\.name: cookie "a" is given twice/);
    expect(refusal({ cookies: Array.from({ length: 21 }, (_, i) => ({ name: `c${i}`, value: '1' })) })).toMatch(/cookies: at most 20 cookies/);
  });
});

describe('which request gets the headers and cookies', () => {
  const credentials = {
    origins: seedOriginsOf(['http://127.0.0.1:8080/start', 'https://docs.example.test/', 'https://docs.example.test:443/again']),
    headers: { 'X-Token': 't' },
    cookies: [{ name: 'session', value: 's' }, { name: 'admin', value: 'a', path: '/admin' }],
  };

  it('counts a seed by its origin: scheme, host and port (a default port is the same origin)', () => {
    expect(credentials.origins).toEqual(['http://127.0.0.1:8080', 'https://docs.example.test']);
  });

  it('adds them to requests to a seed origin, by scheme, host and port', () => {
    expect(credentialOverrides('http://127.0.0.1:8080/page', undefined, credentials)).toEqual({ headers: { 'X-Token': 't' }, cookie: 'session=s' });
    expect(credentialOverrides('https://docs.example.test/admin/x', undefined, credentials)).toEqual({ headers: { 'X-Token': 't' }, cookie: 'session=s; admin=a' });
  });

  it('adds nothing to another host, another port of the same address, or another scheme', () => {
    expect(credentialOverrides('http://127.0.0.1:8081/page', undefined, credentials)).toBeUndefined();
    expect(credentialOverrides('http://127.0.0.2:8080/page', undefined, credentials)).toBeUndefined();
    expect(credentialOverrides('http://www.docs.example.test/', undefined, credentials)).toBeUndefined();
    // the https seed's host over http (the Authorization header would travel in clear text), or on another port
    expect(credentialOverrides('http://docs.example.test/admin/x', undefined, credentials)).toBeUndefined();
    expect(credentialOverrides('https://docs.example.test:8443/', undefined, credentials)).toBeUndefined();
    expect(credentialOverrides('https://127.0.0.1:8080/page', undefined, credentials)).toBeUndefined();
    expect(credentialOverrides('wss://docs.example.test/socket', undefined, credentials)).toBeUndefined();
    expect(credentialOverrides('ws://127.0.0.1:8080/socket', undefined, credentials)).toBeUndefined();
    expect(credentialOverrides('not a url', undefined, credentials)).toBeUndefined();
  });

  it("keeps the site's own cookies, which win over a job cookie of the same name", () => {
    // nothing to add: the browser's own Cookie header goes as it is
    expect(credentialOverrides('http://127.0.0.1:8080/', 'theme=dark; session=renewed', credentials)).toEqual({ headers: { 'X-Token': 't' } });
    expect(credentialOverrides('http://127.0.0.1:8080/admin', 'theme=dark', credentials)?.cookie).toBe('theme=dark; session=s; admin=a');
  });

  it('matches cookie paths as RFC 6265 does', () => {
    expect(pathMatches('/admin', '/admin')).toBe(true);
    expect(pathMatches('/admin/users', '/admin')).toBe(true);
    expect(pathMatches('/admin/users', '/admin/')).toBe(true);
    expect(pathMatches('/administrator', '/admin')).toBe(false);
    expect(pathMatches('/', '/admin')).toBe(false);
  });

  it("gives the renderer the seeds' origins with the job's credentials, and nothing when there are none", () => {
    const job = { url: 'http://127.0.0.1:8080/', seeds: ['http://127.0.0.1:8080/', 'http://127.0.0.1:9090/x'] } as Pick<JobRecord, 'url' | 'seeds'>;
    expect(pageBehaviourOf(job)).toEqual({ autoscroll: true, consent: 'reject' });
    expect(pageBehaviourOf({ ...job, autoscroll: false, actions: [{ wait: 5 }], seedCredentials: { cookies: [{ name: 'a', value: 'b' }] } })).toEqual({
      autoscroll: false,
      consent: 'reject',
      actions: [{ wait: 5 }],
      credentials: { cookies: [{ name: 'a', value: 'b' }], origins: ['http://127.0.0.1:8080', 'http://127.0.0.1:9090'] },
    });
  });
});

describe('headers and cookies with the archive format', () => {
  it('are refused together: the archive would keep the requests as sent', () => {
    expect(refusal({ headers: { 'X-A': 'v' }, formats: ['html', 'archive'] })).toMatch(/formats: "archive" records every request as sent, so it cannot be used with headers or cookies/);
    expect(refusal({ cookies: [{ name: 'a', value: 'b' }], formats: ['archive'] })).toMatch(/formats: "archive"/);
    expect(crawl({ headers: { 'X-A': 'v' }, formats: ['markdown', 'screenshot'] }).formats).toEqual(['markdown', 'screenshot']);
  });
});
