// Runs in a local execution environment (a forked process, as a crawler environment is) and
// measures what e2e timeouts must allow for on this machine, right now: loading the crawler's code,
// a cold browser's first page, and warm pages (a light one and a heavy one).
import { PuppeteerRenderer } from '../../../functions/adapters/browser/renderer.js';

interface CalibrationEvent {
  lightUrl: string;
  heavyUrl: string;
  /** the crawler's code as this run's stacks load it (a file: URL): its bundle, or its source */
  workerModule: string;
}

export const handler = async (event: CalibrationEvent) => {
  const began = Date.now();
  // A computed specifier: a bundle of this file does not take the worker in.
  await import(event.workerModule);
  const importMs = Date.now() - began;
  const renderer = new PuppeteerRenderer({ chromePath: process.env.CHROME_PATH || undefined, chromiumBinDir: process.env.CHROMIUM_BIN_DIR || undefined });
  const options = { navigationTimeoutMs: 120_000, settleIdleMs: 400, settleMaxMs: 4_000 };
  const time = async (url: string) => {
    const start = Date.now();
    await renderer.render(url, options);
    return Date.now() - start;
  };
  try {
    const coldRenderMs = await time(event.lightUrl);
    const lightMs = await time(event.lightUrl);
    const heavyMs = await time(event.heavyUrl);
    return { importMs, coldRenderMs, lightMs, heavyMs };
  } finally {
    await renderer.close();
  }
};
