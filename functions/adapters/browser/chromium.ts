// One browser per execution environment, launched on first use and kept warm across invocations;
// relaunched when it crashed, was killed or was closed.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser } from 'puppeteer-core';
import { JobTurns, type Turn } from '../../core/job-turns.js';
import type { Logger } from '../../core/ports.js';
import { anyHost, type HostCheck } from './egress-policy.js';
import { startEgressProxy, type EgressProxy } from './egress-proxy.js';

// Flags for a closed network and a headless crawler: no background traffic to Google services
// (component updates, sync, QUIC probes), no /dev/shm (small in containers and on Lambda).
export const QUIET_FLAGS: readonly string[] = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
  '--mute-audio',
];

/**
 * Every connection leaves through the egress proxy: loopback too (Chromium sends 127.0.0.1 and
 * localhost direct unless told otherwise), and WebRTC may use no UDP of its own (only TURN over
 * TCP, which goes through the proxy like any connection).
 */
const egressFlags = (proxy: EgressProxy): string[] => [
  `--proxy-server=${proxy.url}`,
  '--proxy-bypass-list=<-loopback>',
  '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
];
// @sparticuz/chromium turns these on for convenience; a crawler of untrusted pages wants them off.
const UNSAFE_FLAGS = new Set(['--disable-web-security', '--allow-running-insecure-content']);

/**
 * The only variables of our environment Chromium gets. Never the rest: on Lambda that is the role's
 * AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the tables' and
 * queues' names and any secret of the function, which a renderer exploit could read from its own
 * environment. Each is here for a reason:
 */
export const CHROMIUM_ENV: readonly string[] = [
  // finding helper binaries; where the profile, crash and cache directories go by default
  'PATH',
  'HOME',
  'TMPDIR',
  'XDG_CONFIG_HOME',
  'XDG_CACHE_HOME',
  // fonts: @sparticuz/chromium points these at the fonts it unpacks to /tmp (a bare machine has none)
  'FONTCONFIG_PATH',
  'FONTCONFIG_FILE',
  // @sparticuz/chromium's shared libraries (libnss3 and the like, unpacked to /tmp on Lambda)
  'LD_LIBRARY_PATH',
  // dates as the page shows them, the language and character set of text
  'TZ',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
];

/** Our environment cut to CHROMIUM_ENV (read after @sparticuz/chromium added its own to it). */
export function chromiumEnvironment(from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of CHROMIUM_ENV) {
    const value = from[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

export interface BrowserOptions {
  /** a system Chrome/Chromium (CHROME_PATH); default: @sparticuz/chromium's headless shell */
  chromePath?: string;
  /** where @sparticuz/chromium's .br files are, when not beside its JavaScript (Lambda layer) */
  chromiumBinDir?: string;
  /** more Chromium flags (tests map test host names with --host-resolver-rules) */
  extraArgs?: string[];
  /** which hosts the browser may connect to, enforced by its egress proxy; default: any host */
  hosts?: HostCheck;
  log?: Logger;
}

/** Used when the caller gives no logger: launch facts and problems still reach the process log. */
export const consoleLogger: Logger = {
  debug() {},
  info: (message, ...extra) => console.info(JSON.stringify({ level: 'info', message, ...Object.assign({}, ...extra) })),
  warn: (message, ...extra) => console.warn(JSON.stringify({ level: 'warn', message, ...Object.assign({}, ...extra) })),
  error: (message, ...extra) => console.error(JSON.stringify({ level: 'error', message, ...Object.assign({}, ...extra) })),
};

/** The window every page is rendered in (the bench gives the browsers it compares with the same). */
export const VIEWPORT = { width: 1280, height: 900 };

let browser: Browser | undefined;
let launching: Promise<Browser> | undefined;
const singleProcess = new WeakSet<Browser>();
const egress = new WeakMap<Browser, { proxy: EgressProxy; hosts: HostCheck }>();

const isRoot = (): boolean => process.getuid?.() === 0;

async function launch(options: BrowserOptions): Promise<Browser> {
  const log = options.log ?? consoleLogger;
  const started = Date.now();
  let executablePath: string;
  let args: string[];
  let headless: boolean | 'shell';
  let env: Record<string, string>;
  if (options.chromePath) {
    executablePath = options.chromePath;
    // Chrome's sandbox cannot run as root; as another user it stays on.
    args = [...(isRoot() ? ['--no-sandbox'] : []), '--disable-gpu', ...QUIET_FLAGS];
    headless = true;
    env = chromiumEnvironment();
  } else {
    // No WebGL for a crawler: Chromium skips the SwiftShader stack.
    chromium.setGraphicsMode = false;
    executablePath = await chromium.executablePath(options.chromiumBinDir);
    // @sparticuz/chromium's flags include --no-sandbox and --single-process (needed on Lambda).
    args = [...chromium.args.filter((flag) => !UNSAFE_FLAGS.has(flag)), ...QUIET_FLAGS];
    headless = 'shell';
    // executablePath() has set its FONTCONFIG_PATH, LD_LIBRARY_PATH and HOME in process.env on Lambda
    env = chromiumEnvironment();
    // A machine without fontconfig's own configuration uses the fonts shipped with the package.
    if (!env['FONTCONFIG_PATH'] && !existsSync('/etc/fonts/fonts.conf') && existsSync(join(tmpdir(), 'fonts', 'fonts.conf'))) {
      env['FONTCONFIG_PATH'] = join(tmpdir(), 'fonts');
    }
  }
  const hosts = options.hosts ?? anyHost;
  const proxy = await startEgressProxy({ hosts, log });
  args.push(...egressFlags(proxy), ...(options.extraArgs ?? []));
  const launched = await puppeteer.launch({
    executablePath,
    args,
    env,
    headless,
    defaultViewport: VIEWPORT,
    // Downloads (PDF, zip…) are recorded from their response; nothing is written to disk.
    downloadBehavior: { policy: 'deny' },
    // This process owns the browser's life; signals are handled by the runtime around it.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    protocolTimeout: 60_000,
    // DevTools over a pipe: no --remote-debugging-port a page could reach on loopback (local mode
    // lets pages reach loopback; a DevTools port would hand them the browser).
    pipe: true,
  }).catch(async (error: unknown) => {
    await proxy.close();
    throw error;
  });
  egress.set(launched, { proxy, hosts });
  if (args.includes('--single-process')) singleProcess.add(launched);
  log.info('browser launched', {
    ms: Date.now() - started,
    executablePath,
    version: await launched.version(),
    pid: launched.process()?.pid,
    singleProcess: singleProcess.has(launched),
  });
  launched.once('disconnected', () => {
    if (browser === launched) browser = undefined;
    log.info('browser disconnected', { pid: launched.process()?.pid });
    proxy.close().catch(() => {});
  });
  return launched;
}

/** The warm browser of this process; launches one when there is none or the last one died. */
export async function getBrowser(options: BrowserOptions = {}): Promise<Browser> {
  if (browser?.connected) return browser;
  launching ??= launch(options).finally(() => {
    launching = undefined;
  });
  browser = await launching;
  return browser;
}

/**
 * Whether pages can get their own incognito BrowserContext. A --single-process Chromium
 * (@sparticuz/chromium, as on Lambda) cannot create one: Target.createTarget fails with "Target
 * closed" and leaves the browser unusable. A multi-process Chrome can, at no measurable cost:
 * a trivial page took 80–90 ms in a fresh context, 95–105 ms in a new tab of the default one.
 */
/** The egress proxy a browser of ours connects through. */
export function egressProxyOf(target: Browser): EgressProxy | undefined {
  return egress.get(target)?.proxy;
}

export function supportsBrowserContexts(target: Browser): boolean {
  return !singleProcess.has(target);
}

/**
 * A warm browser grows with every page it renders (single-process Chromium keeps much of what its
 * pages allocated), so after `recycleAfterPages` it is retired: new pages go to a fresh browser and
 * the old one closes when its last tab does. Crawlee's browser pool does the same.
 */
export interface BrowserLease {
  browser: Browser;
  /** no other page of this process is using the browser right now */
  exclusive: boolean;
  release(): Promise<void>;
}

const usage = new WeakMap<Browser, { served: number; active: number; retired: boolean }>();

/**
 * Isolation between jobs where pages cannot have browser contexts of their own.
 *
 * @sparticuz/chromium must run --single-process on Lambda, and a --single-process Chromium cannot
 * create a browser context (checked again with @sparticuz/chromium 147 and puppeteer-core 24:
 * Target.createTarget in a new context fails with "Target closed" and the browser dies; puppeteer
 * does not support the mode: puppeteer/puppeteer#2608). Its tabs share one cookie jar, cache and
 * storage, so a session one job's credentials or actions obtained would be sent on another job's
 * pages of the same site. So such a browser serves one job at a time (JobTurns: the pages of one
 * job render side by side, another job's wait their turn), and before it serves a page of another
 * job than the last, it is closed and a fresh one launched: a fresh profile directory has no
 * cookies, cache, storage of any origin or partition, service workers, HSTS or HTTP auth entries,
 * which clearing them one by one over CDP could not promise (a launch costs ~150-350 ms, the CDP
 * clearing of cookies, cache and one origin's storage 60-180 ms, measured on a 2-core machine).
 * A multi-process Chrome (CHROME_PATH) gives every page its own context instead (tab-lifecycle.ts).
 */
const jobTurns = new JobTurns();
/** the job whose pages a browser has rendered ('' for pages rendered without a job) */
const servedJob = new WeakMap<Browser, string>();

/** Whether a browser launched with these options shares its state between pages (no browser contexts). */
export function sharesStateBetweenPages(options: BrowserOptions): boolean {
  return !options.chromePath;
}

/**
 * Waits (at most `waitMs`) until pages of `job` may use the browser, and makes sure the browser
 * they get holds nothing of another job's. Throws TurnWaitTimeoutError (core/job-turns.ts) when
 * another job kept it that long. The turn is released when the page's tab is closed.
 */
export async function takeBrowserTurn(options: BrowserOptions, job: string, waitMs: number): Promise<Turn> {
  if (!sharesStateBetweenPages(options)) return { previous: undefined, release() {} };
  const turn = await jobTurns.take(job, waitMs);
  try {
    await retireIfServedAnotherJob(job, options.log ?? consoleLogger);
  } catch (error) {
    turn.release();
    throw error;
  }
  return turn;
}

async function retireIfServedAnotherJob(job: string, log: Logger): Promise<void> {
  const current = browser?.connected ? browser : undefined;
  const served = current ? servedJob.get(current) : undefined;
  if (!current || served === undefined || served === job) return;
  browser = undefined;
  const stats = usage.get(current);
  if (stats) stats.retired = true;
  log.info('browser relaunched for another job', { pid: current.process()?.pid, pages: stats?.served });
  // No page of the last job is open (its turn is over), so nothing is lost by killing it rather
  // than closing it politely (100-300 ms saved on every switch); puppeteer removes its temporary
  // profile directory when the process exits, however it exits.
  await discardBrowser(current);
}

export async function leaseBrowser(options: BrowserOptions & { recycleAfterPages: number; job?: string }): Promise<BrowserLease> {
  // A browser enforces the host check it was launched with; a renderer with another one gets a
  // browser of its own (the old one closes when its last page is done).
  const current = browser?.connected ? browser : undefined;
  if (current && egress.get(current)?.hosts !== (options.hosts ?? anyHost)) {
    browser = undefined;
    const stats = usage.get(current);
    if (stats) stats.retired = true;
    if (!stats || stats.active === 0) await current.close().catch(() => current.process()?.kill('SIGKILL'));
  }
  const leased = await getBrowser(options);
  servedJob.set(leased, options.job ?? '');
  let stats = usage.get(leased);
  if (!stats) usage.set(leased, (stats = { served: 0, active: 0, retired: false }));
  const mine = stats;
  mine.served++;
  mine.active++;
  if (mine.served >= options.recycleAfterPages && !mine.retired) {
    mine.retired = true;
    if (browser === leased) browser = undefined;
    (options.log ?? consoleLogger).info('browser retired after serving its share of pages', { pages: mine.served });
  }
  let released = false;
  return {
    browser: leased,
    exclusive: mine.active === 1,
    async release() {
      if (released) return;
      released = true;
      mine.active--;
      if (mine.retired && mine.active === 0) await leased.close().catch(() => leased.process()?.kill('SIGKILL'));
    },
  };
}

/** Kills a browser (after a crash or a hung page); the next render launches a fresh one. */
export async function discardBrowser(target: Browser | undefined = browser): Promise<void> {
  if (!target) return;
  if (browser === target) browser = undefined;
  // A hung browser does not answer a polite close; the process is ours, so it is killed.
  target.process()?.kill('SIGKILL');
  await target.disconnect().catch(() => {});
}

/** Closes the browser at the end of the environment's life. */
export async function closeBrowser(): Promise<void> {
  const current = browser ?? (await launching?.catch(() => undefined));
  browser = undefined;
  await current?.close().catch(() => current.process()?.kill('SIGKILL'));
  if (current) await egress.get(current)?.proxy.close();
}
