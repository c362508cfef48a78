// One browser per execution environment, launched on first use and kept warm across invocations;
// relaunched when it crashed or was closed.
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser } from 'puppeteer-core';
import type { Logger } from '../../core/ports.js';

// Flags for a closed network and a headless crawler: no background traffic to Google services.
const QUIET_FLAGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
  '--mute-audio',
];
// @sparticuz/chromium turns these on for convenience; a crawler of untrusted pages wants them off.
const UNSAFE_FLAGS = new Set(['--disable-web-security', '--allow-running-insecure-content']);

export interface BrowserOptions {
  /** a system Chrome/Chromium; default: @sparticuz/chromium's headless shell */
  chromePath?: string;
  /** where @sparticuz/chromium's binaries are, when not beside its JavaScript (Lambda layer) */
  chromiumBinDir?: string;
  /** more Chromium flags (tests map test host names with --host-resolver-rules) */
  extraArgs?: string[];
  log: Logger;
}

let browser: Browser | undefined;
let launching: Promise<Browser> | undefined;

async function launch(options: BrowserOptions): Promise<Browser> {
  const started = Date.now();
  let executablePath: string;
  let args: string[];
  let headless: boolean | 'shell';
  if (options.chromePath) {
    executablePath = options.chromePath;
    args = ['--no-sandbox', '--disable-gpu', ...QUIET_FLAGS];
    headless = true;
  } else {
    chromium.setGraphicsMode = false;
    executablePath = await chromium.executablePath(options.chromiumBinDir);
    args = [...chromium.args.filter((flag) => !UNSAFE_FLAGS.has(flag)), ...QUIET_FLAGS];
    headless = 'shell';
  }
  const launched = await puppeteer.launch({
    executablePath,
    args: [...args, ...(options.extraArgs ?? [])],
    headless,
    defaultViewport: { width: 1280, height: 900 },
    // This process owns the browser's life; signals are handled by the runtime around it.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    protocolTimeout: 60_000,
  });
  options.log.info('browser launched', { ms: Date.now() - started, executablePath, version: await launched.version() });
  launched.once('disconnected', () => {
    if (browser === launched) browser = undefined;
  });
  return launched;
}

export async function getBrowser(options: BrowserOptions): Promise<Browser> {
  if (browser?.connected) return browser;
  launching ??= launch(options).finally(() => {
    launching = undefined;
  });
  browser = await launching;
  return browser;
}

/**
 * A warm browser grows with every page it renders (single-process Chromium keeps much of what its
 * pages allocated), so after `recycleAfterPages` it is retired: new pages go to a fresh browser and
 * the old one closes when its last tab does. Crawlee's browser pool does the same.
 */
export interface BrowserLease {
  browser: Browser;
  release(): Promise<void>;
}

const usage = new WeakMap<Browser, { served: number; active: number; retired: boolean }>();

export async function leaseBrowser(options: BrowserOptions & { recycleAfterPages: number }): Promise<BrowserLease> {
  const leased = await getBrowser(options);
  let stats = usage.get(leased);
  if (!stats) usage.set(leased, (stats = { served: 0, active: 0, retired: false }));
  const mine = stats;
  mine.served++;
  mine.active++;
  if (mine.served >= options.recycleAfterPages && !mine.retired) {
    mine.retired = true;
    if (browser === leased) browser = undefined;
    options.log.info('browser retired after serving its share of pages', { pages: mine.served });
  }
  let released = false;
  return {
    browser: leased,
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
  const current = browser;
  browser = undefined;
  await current?.close().catch(() => current.process()?.kill('SIGKILL'));
}
