// What every part of the job store works with: the document client, the tables it writes and the
// clock. DynamoJobStore (job-store.ts) holds one and hands it to the functions of each part, which
// keep no state of their own.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../core/ports.js';

export interface JobTables {
  db: DynamoDBDocumentClient;
  /**
   * the jobs table (jobs, their counter shards, cache entries), the frontier, the connections, and
   * the seed credentials of running jobs (job-secrets.ts; absent: kept on the job item)
   */
  names: { jobs: string; frontier: string; connections: string; secrets?: string };
  clock: Clock;
}
