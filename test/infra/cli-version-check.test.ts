// The app marks the CDK CLI's daily npm version check as done, only when the CLI runs it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { skipCliVersionCheck, versionCheckStampPath } from '../../infra/cli-version-check.js';

let home: string;
let stamp: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'cdk-home-'));
  stamp = join(home, 'cache', 'repo-version-ttl');
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

it('finds the stamp where the CLI keeps it', () => {
  expect(versionCheckStampPath({ CDK_HOME: home })).toBe(stamp);
  expect(versionCheckStampPath({})).toMatch(/\/\.cdk\/cache\/repo-version-ttl$/);
});

it('creates the stamp when the CLI runs the app', () => {
  skipCliVersionCheck({ CDK_HOME: home, CDK_OUTDIR: '/tmp/out' });
  expect(Date.now() - statSync(stamp).mtimeMs).toBeLessThan(60_000);
});

it('refreshes an old stamp and keeps what the CLI wrote in it', () => {
  mkdirSync(join(home, 'cache'));
  writeFileSync(stamp, '{"latestVersion":"2.1148.1"}');
  const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  utimesSync(stamp, twoDaysAgo, twoDaysAgo);
  skipCliVersionCheck({ CDK_HOME: home, CDK_OUTDIR: '/tmp/out' });
  expect(Date.now() - statSync(stamp).mtimeMs).toBeLessThan(60_000);
  expect(readFileSync(stamp, 'utf8')).toBe('{"latestVersion":"2.1148.1"}');
});

it.each([
  ['outside the CLI (tests, tsx infra/app.ts)', {}],
  ['with CDK_VERSION_CHECK=on', { CDK_OUTDIR: '/tmp/out', CDK_VERSION_CHECK: 'on' }],
])('leaves the stamp alone %s', (_name, env) => {
  skipCliVersionCheck({ CDK_HOME: home, ...env });
  expect(() => statSync(stamp)).toThrow(/ENOENT/);
});
