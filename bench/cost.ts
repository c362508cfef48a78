// Dollars per 1,000 pages on AWS, itemised, from measured per-page figures (a paper model; a job's
// manifest `usage` is what it really used, and `npm run bench:usage` measures it at the defaults).
import { DEFAULT_COUNTER_SHARDS } from '../functions/core/counter-shards.js';
import { PRICES as REQUEST_PRICES } from '../functions/core/prices.js';

/**
 * The request prices are the stack's own table (functions/core/prices.ts, which `usage` is costed
 * with); storage, API Gateway messages and log ingestion, which `usage` does not count, are added here.
 */
export const PRICES = {
  asOf: REQUEST_PRICES.asOf,
  region: REQUEST_PRICES.region,
  lambdaGbSecondX86: REQUEST_PRICES.lambdaGbSecond,
  lambdaPerMillionRequests: REQUEST_PRICES.lambdaRequest * 1e6,
  sqsPerMillionRequests: REQUEST_PRICES.sqsRequest * 1e6,
  dynamoPerMillionWriteUnits: REQUEST_PRICES.dynamoWriteUnit * 1e6,
  dynamoPerMillionReadUnits: REQUEST_PRICES.dynamoReadUnit * 1e6,
  s3PerThousandPuts: REQUEST_PRICES.s3Put * 1e3,
  s3PerThousandGets: REQUEST_PRICES.s3Get * 1e3,
  s3GbMonth: 0.023,
  apiGatewayPerMillionMessages: 1.0,
  logsIngestionPerGb: 0.5,
} as const;

export interface PageProfile {
  /** seconds a crawler environment is busy per page (invocation time divided by pages in it) */
  lambdaSecondsPerPage: number;
  lambdaMemoryGb: number;
  pagesPerInvocation: number;
  /** average stored page record, bytes */
  recordBytes: number;
  /** average in-scope links admitted per page (each admission is a two-item transaction) */
  admittedPerPage: number;
  /** counter shard items of the job (core/counter-shards.ts); 0: a job counted on its job item, as before shards */
  counterShards?: number;
}

/** Requests per page the design makes; see functions/app/crawl-page.ts for where each comes from. */
export function unitsPerPage(profile: PageProfile) {
  const shards = profile.counterShards ?? DEFAULT_COUNTER_SHARDS;
  return {
    // claim (1) + admissions (2 items x 2 for a transaction, per admitted child) + settle
    // (2 items x 2, the frontier item with its summary ~2 units, and the job item or the URL's
    // shard) + without shards, the progress update on the job item after every settle (1, a write
    // even when refused); with shards a progress slot is written once a second per job, not per page
    dynamoWrites: 1 + profile.admittedPerPage * 4 + 6 + (shards > 0 ? 0 : 1),
    // the job item before the page, one read shared by the pages of an invocation (they start
    // together); after the settle, the job item and every shard (strongly consistent, 1 unit each;
    // without shards the progress update returned the job)
    dynamoReads: 1 / profile.pagesPerInvocation + (shards > 0 ? 1 + shards : 0),
    // send (batched by 10) + receive and delete (batched by the batch size)
    sqsRequests: 0.1 + 2 / profile.pagesPerInvocation,
    s3Puts: 1,
    apiGatewayMessages: 1,
    logBytes: 1500,
  };
}

export function costPerThousandPages(profile: PageProfile) {
  const u = unitsPerPage(profile);
  const perPage = {
    lambdaCompute: profile.lambdaSecondsPerPage * profile.lambdaMemoryGb * PRICES.lambdaGbSecondX86,
    lambdaRequests: (1 / profile.pagesPerInvocation) * (PRICES.lambdaPerMillionRequests / 1e6),
    dynamoDb: u.dynamoWrites * (PRICES.dynamoPerMillionWriteUnits / 1e6) + u.dynamoReads * (PRICES.dynamoPerMillionReadUnits / 1e6),
    sqs: u.sqsRequests * (PRICES.sqsPerMillionRequests / 1e6),
    s3Requests: u.s3Puts * (PRICES.s3PerThousandPuts / 1e3),
    s3StorageMonth: (profile.recordBytes / 1e9) * PRICES.s3GbMonth,
    apiGateway: u.apiGatewayMessages * (PRICES.apiGatewayPerMillionMessages / 1e6),
    cloudWatchLogs: (u.logBytes / 1e9) * PRICES.logsIngestionPerGb,
  };
  const items = Object.fromEntries(Object.entries(perPage).map(([k, v]) => [k, Math.round(v * 1000 * 1e5) / 1e5]));
  const total = Math.round(Object.values(perPage).reduce((a, b) => a + b, 0) * 1000 * 1e4) / 1e4;
  return { prices: PRICES, profile, items, totalPerThousandPages: total };
}

// `npm run cost -- [lambdaSecondsPerPage] [memoryGb] [pagesPerInvocation] [recordKb] [admittedPerPage] [counterShards]`
if (process.argv[1]?.endsWith('cost.ts')) {
  const [seconds = '0.6', memory = '2', batch = '5', recordKb = '60', admitted = '1', shards = String(DEFAULT_COUNTER_SHARDS)] = process.argv.slice(2);
  const result = costPerThousandPages({
    lambdaSecondsPerPage: Number(seconds),
    lambdaMemoryGb: Number(memory),
    pagesPerInvocation: Number(batch),
    recordBytes: Number(recordKb) * 1024,
    admittedPerPage: Number(admitted),
    counterShards: Number(shards),
  });
  console.log(`cost per 1,000 pages (prices ${PRICES.region}, ${PRICES.asOf}):`);
  for (const [item, dollars] of Object.entries(result.items)) console.log(`  ${item.padEnd(16)} $${dollars.toFixed(5)}`);
  console.log(`  ${'total'.padEnd(16)} $${result.totalPerThousandPages.toFixed(4)}`);
}
