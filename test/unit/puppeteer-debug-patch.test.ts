// patches/puppeteer-core+*.patch: puppeteer-core's debug() made a `debug` instance for every call,
// which is every CDP message, and each one asked whether stderr is a TTY. Patched, an instance is
// made once per prefix. This checks the installed copy (npm's postinstall, scripts/setup.sh).
import { createRequire } from 'node:module';
import { afterEach, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const tty = require('node:tty') as { isatty: (fd: number) => boolean };
const original = tty.isatty;
afterEach(() => {
  tty.isatty = original;
});

it.each(['internal/common/Debug.js'])('puppeteer-core %s makes one debug instance per prefix, not one per message', async (path) => {
  let ttyChecks = 0;
  tty.isatty = (fd: number) => {
    ttyChecks++;
    return original(fd);
  };
  const esm = (await import(`puppeteer-core/${path}`)) as { debug: (prefix: string) => (...args: unknown[]) => Promise<void> };
  const cjs = require(`puppeteer-core/${path}`) as typeof esm;
  for (const build of [esm, cjs]) {
    const log = build.debug('puppeteer:test-patch');
    await log('first'); // loads the debug module and, patched, makes the instance
    ttyChecks = 0;
    for (let i = 0; i < 50; i++) await log('message', i);
    // unpatched: 50, one per call (with DEBUG_COLORS unset); patched: none
    expect(ttyChecks).toBe(0);
  }
  expect(process.env.DEBUG_COLORS).toBeUndefined();
});
