// Upstream proxies in the CHROME_PATH mode: a multi-process Chromium gives each page its own
// incognito context, and each job's context its own listener of the egress proxy (the Lambda mode,
// one job at a time in one context, is test/e2e/upstream-proxy.test.ts). Pages of jobs with
// different proxies render side by side, each job's requests relayed by its own proxy only, loopback
// included (nothing bypasses the proxy); a proxy that refuses the credentials fails its page, named.
// Its own file: the browser is one per process, and this one must be launched with chromePath.
import chromium from '@sparticuz/chromium';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import { parseProxyUrl, type UpstreamProxy } from '../../functions/core/upstream-proxy.js';
import { startUpstreamProxy, type UpstreamProxyStub } from '../support/upstream-proxy.js';
import { startSite, type TestSite } from './fixtures-browser/site.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const timing = { navigationTimeoutMs: 10_000, settleIdleMs: 300, settleMaxMs: 2_000 };
let site: TestSite;
let stackProxy: UpstreamProxyStub;
let jobProxy: UpstreamProxyStub;
let renderer: PuppeteerRenderer;
const at = (path: string) => `${site.origin}${path}`;

const proxyOf = (raw: string): UpstreamProxy => {
  const parsed = parseProxyUrl(raw);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.proxy;
};

beforeAll(async () => {
  site = await startSite();
  stackProxy = await startUpstreamProxy('stack', 'stack-password');
  jobProxy = await startUpstreamProxy('job', 'job-password');
  renderer = new PuppeteerRenderer({ chromePath: await chromium.executablePath(), log: quiet, upstreams: async () => [proxyOf(stackProxy.url)] });
});

afterAll(async () => {
  await renderer?.close();
  await Promise.all([site?.close(), stackProxy?.close(), jobProxy?.close()]);
});

it("sends each job's pages through its own proxy, side by side, loopback included", async () => {
  const [viaStack, viaJob] = await Promise.all([
    renderer.render(at('/timer'), { ...timing, jobId: 'job-stack' }),
    renderer.render(at('/'), { ...timing, jobId: 'job-own', proxy: jobProxy.url }),
  ]);
  expect(viaStack).toMatchObject({ status: 200, title: 'timer' });
  expect(viaJob).toMatchObject({ status: 200, title: 'home' });
  expect(stackProxy.relayed).toContainEqual({ method: 'GET', target: at('/timer'), authorized: true });
  expect(jobProxy.relayed).toContainEqual({ method: 'GET', target: at('/'), authorized: true });
  expect(stackProxy.relayed.map((r) => r.target)).not.toContain(at('/'));
  expect(jobProxy.relayed.map((r) => r.target)).not.toContain(at('/timer'));
  // every request the site got came through one of the two
  expect(site.hits.length).toBe(stackProxy.relayed.length + jobProxy.relayed.length);
});

it('fails a page whose proxy refuses the credentials, naming the proxy masked', async () => {
  const wrong = `http://job:not-it@127.0.0.1:${jobProxy.port}`;
  const failure = await renderer.render(at('/'), { ...timing, jobId: 'job-wrong', proxy: wrong }).catch((error: Error) => error);
  expect(failure).toBeInstanceOf(Error);
  expect((failure as Error).message).toBe(
    `ERR_PROXY_AUTH_REQUESTED: upstream proxy http://***@127.0.0.1:${jobProxy.port} refused the credentials it was given (407 Proxy Authentication Required)`,
  );
  expect((failure as { retryable?: boolean }).retryable).toBe(false);
});
