// Does the account's Lambda concurrency leave room for the stack's other functions while the
// crawler runs at its cap? Pure decision logic, shared by the preflight script (infra/preflight.ts,
// which reads the account with the user's credentials) and the synth (settings.ts, when the
// account's concurrency is given as context).
//
// Why it matters: no function of the stack reserves concurrency, so they all draw on the account's
// unreserved pool. A busy crawler holds crawlerMaxConcurrency of it; if that is (nearly) the whole
// pool, as on a new account whose quota is 10, Lambda throttles $connect, the authorizer, the
// routes and the sweeper: connections are refused and messages go unanswered while a crawl runs.

/**
 * Concurrent executions kept free for the route functions, the authorizer and the sweeper. They run
 * for tens of milliseconds, but a client's connect needs two at once (authorizer, then $connect)
 * and the sweeper and a few clients' messages can land together.
 */
export const MIN_HEADROOM = 5;
/** SQS event sources accept maximumConcurrency from 2. */
export const MIN_CRAWLER_CONCURRENCY = 2;
/** Lambda's usual quota of concurrent executions per account and region. */
export const USUAL_ACCOUNT_LIMIT = 1000;
/** Service Quotas code of Lambda's "Concurrent executions". */
export const CONCURRENCY_QUOTA_CODE = 'L-B99A9384';

export interface AccountConcurrency {
  /** AccountLimit.ConcurrentExecutions: the account's quota in this region */
  limit: number;
  /** AccountLimit.UnreservedConcurrentExecutions: the pool shared by functions without reserved concurrency */
  unreserved: number;
}

export const VERDICT = { ok: 'ok', warn: 'warn', fail: 'fail' } as const;
export type VerdictStatus = (typeof VERDICT)[keyof typeof VERDICT];

export interface ConcurrencyVerdict {
  status: VerdictStatus;
  /** executions left to the other functions while the crawler runs at its cap */
  headroom: number;
  /** the largest crawlerMaxConcurrency that leaves MIN_HEADROOM; undefined when none can (quota too small) */
  largestFittingMaxConcurrency?: number;
  /** what to tell the user, one finding a line */
  messages: string[];
}

function requireCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number ≥ 0, got ${value}`);
}

/** The largest crawlerMaxConcurrency that leaves MIN_HEADROOM of this pool, or undefined when none does. */
export function largestFittingMaxConcurrency(unreserved: number): number | undefined {
  const largest = unreserved - MIN_HEADROOM;
  return largest >= MIN_CRAWLER_CONCURRENCY ? largest : undefined;
}

/**
 * Why crawlerMaxConcurrency does not fit in this unreserved pool, with what to do about it; undefined
 * when it fits. The synth throws with this text, the preflight prints it.
 */
export function headroomProblem(unreserved: number, crawlerMaxConcurrency: number): string | undefined {
  requireCount('unreserved concurrency', unreserved);
  requireCount('crawlerMaxConcurrency', crawlerMaxConcurrency);
  const headroom = unreserved - crawlerMaxConcurrency;
  if (headroom >= MIN_HEADROOM) return undefined;
  const largest = largestFittingMaxConcurrency(unreserved);
  const fix =
    largest !== undefined
      ? `deploy with -c crawlerMaxConcurrency=${largest} (or less), or ask for a higher quota`
      : `no crawlerMaxConcurrency fits (the least is ${MIN_CRAWLER_CONCURRENCY}): ask for a higher quota first`;
  return (
    `crawlerMaxConcurrency ${crawlerMaxConcurrency} leaves ${Math.max(headroom, 0)} of the account's ${unreserved} unreserved ` +
    `concurrent Lambda executions to the routes, the authorizer and the sweeper (they need at least ${MIN_HEADROOM}): ` +
    `while the crawler is busy, Lambda would throttle them and clients could neither connect nor get answers. ` +
    `Fix: ${fix} (Service Quotas → AWS Lambda → Concurrent executions, ${CONCURRENCY_QUOTA_CODE}).`
  );
}

export function checkConcurrency(account: AccountConcurrency, crawlerMaxConcurrency: number): ConcurrencyVerdict {
  requireCount('account limit', account.limit);
  requireCount('unreserved concurrency', account.unreserved);
  if (account.unreserved > account.limit) throw new Error(`unreserved concurrency (${account.unreserved}) exceeds the account limit (${account.limit})`);
  const headroom = account.unreserved - crawlerMaxConcurrency;
  const largest = largestFittingMaxConcurrency(account.unreserved);
  const verdict = (status: VerdictStatus, messages: string[]): ConcurrencyVerdict => ({
    status,
    headroom,
    ...(largest !== undefined ? { largestFittingMaxConcurrency: largest } : {}),
    messages,
  });

  const problem = headroomProblem(account.unreserved, crawlerMaxConcurrency);
  const reducedQuota =
    account.limit < USUAL_ACCOUNT_LIMIT
      ? `The account's quota is ${account.limit} concurrent executions, below Lambda's usual ${USUAL_ACCOUNT_LIMIT} (new accounts start lower); ` +
        `ask for an increase in Service Quotas → AWS Lambda → Concurrent executions (${CONCURRENCY_QUOTA_CODE}).`
      : undefined;
  // The problem already says to ask for a higher quota.
  if (problem) return verdict(VERDICT.fail, [problem]);

  const warnings: string[] = [];
  if (reducedQuota) warnings.push(reducedQuota);
  if (crawlerMaxConcurrency * 2 > account.unreserved) {
    warnings.push(
      `The crawler may hold ${crawlerMaxConcurrency} of ${account.unreserved} unreserved executions, more than half the pool ` +
        `that every other function of this account and region without reserved concurrency shares.`,
    );
  }
  if (warnings.length > 0) return verdict(VERDICT.warn, warnings);
  return verdict(VERDICT.ok, [
    `crawlerMaxConcurrency ${crawlerMaxConcurrency} leaves ${headroom} of ${account.unreserved} unreserved concurrent executions to the other functions.`,
  ]);
}

/** The preflight's exit code: 1 when the stack would starve its own routes, 0 otherwise (warnings included). */
export function exitCodeOf(verdict: ConcurrencyVerdict): number {
  return verdict.status === VERDICT.fail ? 1 : 0;
}

/**
 * CDK context given on a command line as the CDK CLI takes it: `-c key=value`, `--context key=value`
 * or `--context=key=value`. Anything else is refused, so a typo does not pass silently.
 */
export function contextFromArgs(args: readonly string[]): Record<string, string> {
  const context: Record<string, string> = {};
  const put = (pair: string | undefined) => {
    const at = pair?.indexOf('=') ?? -1;
    if (pair === undefined || at < 1) throw new Error(`expected key=value after -c/--context, got ${JSON.stringify(pair)}`);
    context[pair.slice(0, at)] = pair.slice(at + 1);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-c' || arg === '--context') put(args[++i]);
    else if (arg.startsWith('--context=')) put(arg.slice('--context='.length));
    else throw new Error(`unknown argument ${JSON.stringify(arg)} (only -c key=value / --context key=value, as for cdk deploy)`);
  }
  return context;
}
