import { describe, expect, it } from 'vitest';
import { costPerThousandPages, unitsPerPage } from '../../bench/cost.js';

const page = { lambdaSecondsPerPage: 0.6, lambdaMemoryGb: 2, pagesPerInvocation: 5, recordBytes: 60 * 1024, admittedPerPage: 1 };

describe('the cost model of the job counters', () => {
  it('counts a progress write per page without shards, a read of every shard after each settle with them, and one job read per invocation', () => {
    expect(unitsPerPage({ ...page, counterShards: 0 })).toMatchObject({ dynamoWrites: 12, dynamoReads: 0.2 });
    expect(unitsPerPage({ ...page, counterShards: 4 })).toMatchObject({ dynamoWrites: 11, dynamoReads: 5.2 });
    expect(unitsPerPage({ ...page, counterShards: 8 })).toMatchObject({ dynamoWrites: 11, dynamoReads: 9.2 });
    expect(unitsPerPage({ ...page, pagesPerInvocation: 1, counterShards: 4 })).toMatchObject({ dynamoReads: 6 });
  });

  it('prices four shards (the default) like the job item alone, more shards higher', () => {
    const dynamo = (counterShards: number) => costPerThousandPages({ ...page, counterShards }).items.dynamoDb ?? Number.NaN;
    expect(dynamo(4)).toBe(dynamo(0));
    expect(costPerThousandPages(page).items.dynamoDb).toBe(dynamo(4));
    expect(dynamo(8)).toBeGreaterThan(dynamo(4));
    expect(dynamo(2)).toBeLessThan(dynamo(4));
  });
});
