// The price table the usage figures are costed with: list prices, one region, one date. A
// production account pays less (free tiers, savings plans) or more (data transfer, storage, logs,
// API Gateway messages are not counted here): `estimatedCostUsd` is the request-driven part only.

/** The counts a cost is made of (core/usage.ts's UsageCounts has them all). */
export interface CostedCounts {
  invocations?: number;
  /** billed ms times the memory (MB) of the function that spent them */
  mbMs?: number;
  messagesReceived?: number;
  dynamoWriteUnits?: number;
  dynamoReadUnits?: number;
  s3Puts?: number;
  s3Gets?: number;
}

export interface PriceTable {
  name: string;
  region: string;
  /** when the figures were read from the pages below */
  asOf: string;
  /** Lambda, x86, per GB-second of billed duration (first pricing tier) */
  lambdaGbSecond: number;
  /** Lambda, per invocation */
  lambdaRequest: number;
  /** SQS standard queue, per request (64 KB chunk) beyond the free tier */
  sqsRequest: number;
  /** DynamoDB on-demand, per write request unit */
  dynamoWriteUnit: number;
  /** DynamoDB on-demand, per read request unit */
  dynamoReadUnit: number;
  /** S3 Standard, per PUT, COPY, POST or LIST request */
  s3Put: number;
  /** S3 Standard, per GET or HEAD (and other reads) */
  s3Get: number;
}

/**
 * us-east-1 list prices as of 2026-12-07, from aws.amazon.com/lambda/pricing ($0.0000166667 per
 * GB-s x86, $0.20 per million requests), /sqs/pricing ($0.40 per million standard requests),
 * /dynamodb/pricing/on-demand ($0.625 per million WRU, $0.125 per million RRU, the prices since
 * the November 2024 cut) and /s3/pricing ($0.005 per 1,000 PUT, $0.0004 per 1,000 GET).
 */
export const PRICES_US_EAST_1_2026_12: PriceTable = {
  name: 'aws-list-us-east-1-2026-12-07',
  region: 'us-east-1',
  asOf: '2026-12-07',
  lambdaGbSecond: 0.0000166667,
  lambdaRequest: 0.2 / 1e6,
  sqsRequest: 0.4 / 1e6,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
};

/** The table the stack costs with. */
export const PRICES: PriceTable = PRICES_US_EAST_1_2026_12;

/**
 * SQS requests per message received: its send, its receive and its delete, each counted whole
 * (an upper bound: sends, receives and deletes are batched up to 10 where the code and the Lambda
 * poller can, and the poller's empty receives are not counted).
 */
export const SQS_REQUESTS_PER_MESSAGE = 3;

/** The request-driven cost of the counts, in USD. */
export function costOfUsage(c: CostedCounts, prices: PriceTable = PRICES): number {
  const gbSeconds = (c.mbMs ?? 0) / 1024 / 1000;
  return (
    (c.invocations ?? 0) * prices.lambdaRequest +
    gbSeconds * prices.lambdaGbSecond +
    (c.messagesReceived ?? 0) * SQS_REQUESTS_PER_MESSAGE * prices.sqsRequest +
    (c.dynamoWriteUnits ?? 0) * prices.dynamoWriteUnit +
    (c.dynamoReadUnits ?? 0) * prices.dynamoReadUnit +
    (c.s3Puts ?? 0) * prices.s3Put +
    (c.s3Gets ?? 0) * prices.s3Get
  );
}
