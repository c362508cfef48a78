// The preflight's decision (infra/preflight-check.ts): does the account's Lambda concurrency leave
// room for the routes and the authorizer beside a crawler at its cap? Pure: no AWS here; the script
// that reads the account (infra/preflight.ts) is never run by the tests.
import { describe, expect, it } from 'vitest';
import {
  checkConcurrency,
  CONCURRENCY_QUOTA_CODE,
  contextFromArgs,
  exitCodeOf,
  headroomProblem,
  MIN_HEADROOM,
  VERDICT,
} from '../../infra/preflight-check.js';
import { DEFAULT_SETTINGS, readSettings } from '../../infra/settings.js';

const context = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key] });

describe('checkConcurrency', () => {
  it("refuses the default crawlerMaxConcurrency on a new account's quota of 10, and says what fits", () => {
    // Prepare
    const newAccount = { limit: 10, unreserved: 10 };

    // Act
    const verdict = checkConcurrency(newAccount, DEFAULT_SETTINGS.crawlerMaxConcurrency);

    // Assess
    expect(verdict).toMatchObject({ status: VERDICT.fail, headroom: 0, largestFittingMaxConcurrency: 10 - MIN_HEADROOM });
    expect(verdict.messages.join('\n')).toContain(`-c crawlerMaxConcurrency=${10 - MIN_HEADROOM}`);
    expect(verdict.messages.join('\n')).toContain(CONCURRENCY_QUOTA_CODE);
    expect(exitCodeOf(verdict)).toBe(1);
  });

  it('passes a crawler that leaves exactly the headroom, and fails one that leaves one less', () => {
    const account = { limit: 1000, unreserved: 40 };
    expect(checkConcurrency(account, 40 - MIN_HEADROOM).status).not.toBe(VERDICT.fail);
    expect(checkConcurrency(account, 40 - MIN_HEADROOM + 1)).toMatchObject({ status: VERDICT.fail, headroom: MIN_HEADROOM - 1 });
  });

  it('passes the defaults on a usual account, without a warning', () => {
    const verdict = checkConcurrency({ limit: 1000, unreserved: 1000 }, DEFAULT_SETTINGS.crawlerMaxConcurrency);
    expect(verdict).toMatchObject({ status: VERDICT.ok, headroom: 990 });
    expect(exitCodeOf(verdict)).toBe(0);
  });

  it('warns, without failing, about a reduced quota the settings fit in', () => {
    const verdict = checkConcurrency({ limit: 10, unreserved: 10 }, 5);
    expect(verdict.status).toBe(VERDICT.warn);
    expect(verdict.messages).toEqual([expect.stringContaining('below Lambda\'s usual 1000')]);
    expect(exitCodeOf(verdict)).toBe(0);
  });

  it('warns when the crawler may take more than half of a pool other functions reserved most of', () => {
    const verdict = checkConcurrency({ limit: 1000, unreserved: 15 }, 10);
    expect(verdict.status).toBe(VERDICT.warn);
    expect(verdict.messages).toEqual([expect.stringContaining('more than half the pool')]);
  });

  it('asks for a higher quota first when no crawlerMaxConcurrency can fit', () => {
    const verdict = checkConcurrency({ limit: 6, unreserved: 6 }, 2);
    expect(verdict.status).toBe(VERDICT.fail);
    expect(verdict.largestFittingMaxConcurrency).toBeUndefined();
    expect(verdict.messages.join('\n')).toMatch(/no crawlerMaxConcurrency fits .* ask for a higher quota first/);
  });

  it.each([
    [{ limit: 10, unreserved: 11 }, 2, /exceeds the account limit/],
    [{ limit: -1, unreserved: 0 }, 2, /account limit must be a whole number/],
    [{ limit: 10, unreserved: 2.5 }, 2, /unreserved concurrency must be a whole number/],
    [{ limit: 10, unreserved: 10 }, Number.NaN, /crawlerMaxConcurrency must be a whole number/],
  ])('refuses nonsense input %o, %s', (account, max, message) => {
    expect(() => checkConcurrency(account, max)).toThrow(message);
  });
});

describe('the synth, given the account concurrency as context', () => {
  it('refuses a crawlerMaxConcurrency that would starve the other functions', () => {
    expect(() => readSettings(context({ accountConcurrency: '10' }))).toThrow(/context accountConcurrency 10: crawlerMaxConcurrency 10 leaves 0/);
    expect(headroomProblem(10, 10)).toBeDefined();
  });

  it('accepts one that fits, and checks nothing when it is not given', () => {
    expect(readSettings(context({ accountConcurrency: 10, crawlerMaxConcurrency: 5 })).accountConcurrency).toBe(10);
    expect(readSettings(context({})).accountConcurrency).toBe(0);
    expect(readSettings(context({ crawlerMaxConcurrency: 1000 })).crawlerMaxConcurrency).toBe(1000);
  });
});

describe('contextFromArgs', () => {
  it('reads context the way the CDK CLI takes it', () => {
    expect(contextFromArgs(['-c', 'crawlerMaxConcurrency=20', '--context', 'auth=none', '--context=alarmTopicArn=arn:a=b'])).toEqual({
      crawlerMaxConcurrency: '20',
      auth: 'none',
      alarmTopicArn: 'arn:a=b',
    });
    expect(contextFromArgs([])).toEqual({});
  });

  it.each([[['--profile', 'x']], [['-c']], [['-c', '=5']], [['-c', 'noValue']]])('refuses %o', (args) => {
    expect(() => contextFromArgs(args)).toThrow();
  });
});
