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

/** Kills the browser (after a crash or a hung page); the next render launches a fresh one. */
export async function discardBrowser(): Promise<void> {
  const current = browser;
  browser = undefined;
  if (!current) return;
  // A hung browser does not answer a polite close; the process is ours, so it is killed.
  current.process()?.kill('SIGKILL');
  await current.disconnect().catch(() => {});
}

/** Closes the browser at the end of the environment's life. */
export async function closeBrowser(): Promise<void> {
  const current = browser;
  browser = undefined;
  await current?.close().catch(() => current.process()?.kill('SIGKILL'));
}
