// Key schemas of the four tables. The CDK stack declares the same keys; the local runtime creates
// tables from these definitions, and an infra test checks the two agree.

export const JOBS_KEY = { partitionKey: 'jobId' } as const;
export const FRONTIER_KEY = { partitionKey: 'jobId', sortKey: 'urlKey' } as const;
export const CONNECTIONS_KEY = { partitionKey: 'connectionId' } as const;
/** seed credentials of running jobs (job-secrets.ts): the one table without point-in-time recovery */
export const SECRETS_KEY = { partitionKey: 'jobId' } as const;
/** every table expires its items through this attribute (epoch seconds) */
export const TTL_ATTRIBUTE = 'expiresAt';

/**
 * The jobs table's sparse index of jobs that are not yet final-and-complete: `unfinished` is set
 * when a job is created (or redriven) and removed when its `completed` is claimed (the last step
 * of its end), so the sweeper queries the few open jobs instead of scanning every job and cache
 * entry. One partition value: a handful of writes per job, far from a partition's limits.
 */
export const UNFINISHED_INDEX = { name: 'unfinished', partitionKey: 'unfinished' } as const;
export const UNFINISHED_MARK = 'open';

export interface TableDefinition {
  partitionKey: string;
  sortKey?: string;
  /** global secondary indexes, keys only (string partition key) */
  indexes?: readonly { name: string; partitionKey: string }[];
}

export const TABLES = {
  jobs: { ...JOBS_KEY, indexes: [UNFINISHED_INDEX] },
  frontier: FRONTIER_KEY,
  connections: CONNECTIONS_KEY,
  secrets: SECRETS_KEY,
} as const satisfies Record<string, TableDefinition>;
