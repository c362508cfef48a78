// Two jobs at once on one host, in the browser exactly as the worker launches it on Lambda
// (@sparticuz/chromium with its own flags, --single-process included; no CHROME_PATH), where pages
// cannot get browser contexts of their own. Job A brings credentials and the site gives it a session
// cookie; job B leaves traces of its own. Each job's page is opened while the other's state is live
// (the site keeps the other page's request open until it sees this one), and must see none of it:
// no cookie sent or readable, no localStorage, no IndexedDB.
// Its own file: the browser is one per process, and this one must be launched in Lambda mode.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getBrowser } from '../../functions/adapters/browser/chromium.js';
import { RenderError } from '../../functions/adapters/browser/errors.js';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import { isStackFault } from '../../functions/core/errors.js';
import type { RenderOptions } from '../../functions/core/ports.js';
import { startTenantSite, type TenantSite } from './fixtures-browser/tenant-site.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
// A page that holds a request open settles only at settleMaxMs: that long is a job's page open
// beside the other job's (when they share the browser), and never needs to be shorter.
const timing = { navigationTimeoutMs: 30_000, settleIdleMs: 300, settleMaxMs: 6_000 };
let site: TenantSite;
let renderer: PuppeteerRenderer;

const asJob = (jobId: string, extra: Partial<RenderOptions> = {}): RenderOptions => ({ ...timing, jobId, autoscroll: false, ...extra });
const withCredentials = (token: string): Partial<RenderOptions> => ({ credentials: { headers: { authorization: `Bearer ${token}` }, origins: [site.origin] } });

beforeAll(async () => {
  site = await startTenantSite();
  renderer = new PuppeteerRenderer({ log: quiet });
});

afterEach(() => site.releaseHolds());

afterAll(async () => {
  await renderer?.close();
  await site?.close();
});

describe('jobs sharing a warm Lambda-mode browser', () => {
  it('is the Lambda launch: --single-process, no CHROME_PATH', async () => {
    await renderer.render(`${site.origin}/probe?job=warm`, asJob('warm'));
    const args = (await getBrowser()).process()?.spawnargs ?? [];
    expect(args).toContain('--single-process');
    expect(args).toContain('--no-zygote');
  });

  it("never gives a job the other's session cookie, localStorage or IndexedDB, either way", async () => {
    // A logs in; while its page is open with the session set, B's page is rendered.
    const login = renderer.render(`${site.origin}/login?job=A`, asJob('A', withCredentials('secret-of-A')));
    await site.holding('A', timing.navigationTimeoutMs + timing.settleMaxMs);
    const [loggedIn, probedByB] = await Promise.all([login, renderer.render(`${site.origin}/probe?job=B`, asJob('B'))]);
    // the site did give A its session
    expect(loggedIn.title).toBe('login');
    expect(site.hits.find((hit) => hit.path === '/login')).toMatchObject({ authorization: 'Bearer secret-of-A' });

    // The reverse: B leaves its own traces; while its page is open, A's page is rendered.
    const mark = renderer.render(`${site.origin}/mark?job=B`, asJob('B'));
    await site.holding('B', timing.navigationTimeoutMs + timing.settleMaxMs);
    const [, probedByA] = await Promise.all([mark, renderer.render(`${site.origin}/probe?job=A`, asJob('A', withCredentials('secret-of-A')))]);

    expect(probedByB.links).toEqual([`${site.origin}/seen?cookie=&storage=null&idb=null`]);
    expect(probedByA.links).toHaveLength(1);
    const seenByA = new URL(probedByA.links[0]!).searchParams;
    expect(seenByA.get('cookie')).not.toContain('visitor=B');
    expect(seenByA.get('storage')).not.toBe('B');
    expect(seenByA.get('idb')).not.toBe('B');
    // and on the wire: no request B's pages made carried A's session, none of A's carried B's cookie
    const fromB = site.hits.filter((hit) => hit.job === 'B');
    const fromA = site.hits.filter((hit) => hit.job === 'A');
    expect(fromB.length).toBeGreaterThanOrEqual(2);
    expect(fromA.length).toBeGreaterThanOrEqual(2);
    expect(fromB.filter((hit) => hit.cookie?.includes('session=') || hit.authorization)).toEqual([]);
    expect(fromA.filter((hit) => hit.cookie?.includes('visitor='))).toEqual([]);
  });

  it("renders one job's pages side by side, sharing what the job's own pages set", async () => {
    const login = renderer.render(`${site.origin}/login?job=C`, asJob('C', withCredentials('secret-of-C')));
    await site.holding('C', timing.navigationTimeoutMs + timing.settleMaxMs);
    // C's second page opens while its first is open (the site lets the first go when it sees it)
    const probed = await renderer.render(`${site.origin}/probe?job=C`, asJob('C'));
    await login;
    expect(probed.links).toEqual([`${site.origin}/seen?cookie=session%3Dsecret-of-C&storage=C&idb=C`]);
  });

  it("sends a page back to the queue, as the stack's failure, when another job keeps the browser too long", async () => {
    const impatient = new PuppeteerRenderer({ log: quiet, otherJobWaitMs: 200 });
    // D's page holds the browser until the test lets its request go, however slow the machine
    const held = renderer.render(`${site.origin}/login?job=D`, asJob('D', { settleMaxMs: 120_000 }));
    await site.holding('D', timing.navigationTimeoutMs);
    const refused = await impatient.render(`${site.origin}/probe?job=E`, asJob('E')).catch((error: unknown) => error);
    site.releaseHolds();
    await held;
    expect(refused).toBeInstanceOf(RenderError);
    expect(refused).toMatchObject({ kind: 'browser', retryable: true, origin: 'stack' });
    expect(isStackFault(refused)).toBe(true);
    // E's page was never requested
    expect(site.hits.filter((hit) => hit.job === 'E')).toEqual([]);
    // and the browser is fine: E's page renders once D's is done
    expect((await impatient.render(`${site.origin}/probe?job=E`, asJob('E'))).links).toEqual([`${site.origin}/seen?cookie=&storage=null&idb=null`]);
  });
});
