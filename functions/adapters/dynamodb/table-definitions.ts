// Key schemas of the three tables. The CDK stack declares the same keys; the local runtime creates
// tables from these definitions, and an infra test checks the two agree.

export const JOBS_KEY = { partitionKey: 'jobId' } as const;
export const FRONTIER_KEY = { partitionKey: 'jobId', sortKey: 'urlKey' } as const;
export const CONNECTIONS_KEY = { partitionKey: 'connectionId' } as const;
/** every table expires its items through this attribute (epoch seconds) */
export const TTL_ATTRIBUTE = 'expiresAt';

export interface TableDefinition {
  partitionKey: string;
  sortKey?: string;
}

export const TABLES = {
  jobs: JOBS_KEY,
  frontier: FRONTIER_KEY,
  connections: CONNECTIONS_KEY,
} as const satisfies Record<string, TableDefinition>;
