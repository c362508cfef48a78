// A job's seed credentials (its `headers` and `cookies`: possibly a session or an API key) at rest.
// They live in a table of their own, not on the job item: the jobs table has point-in-time recovery,
// which would keep every value it ever held restorable for 35 days; the secrets table has none, so
// once its item is deleted (when the job stops running, and at the latest in the transaction that
// makes the job final) the credentials are gone. Its TTL is a backstop a day past the job's time
// limit (the sweeper ends a job by then). Without a secrets table (a store built by a test of
// something else) they stay on the job item and are removed when it begins finishing, as before.
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '../../core/job.js';
import type { SeedCredentials } from '../../core/seed-credentials.js';
import type { JobTables } from './job-tables.js';

const BACKSTOP_SECONDS = 24 * 60 * 60;

/** The job item to write (without its credentials) and the secrets item's Put, for the job's creating transaction. */
export function splitSecrets(tables: JobTables, job: JobRecord): { item: JobRecord; put?: { Put: { TableName: string; Item: Record<string, unknown> } } } {
  if (!job.seedCredentials || !tables.names.secrets) return { item: job };
  const { seedCredentials, ...item } = job;
  return {
    item: item as JobRecord,
    put: {
      Put: {
        TableName: tables.names.secrets,
        Item: { jobId: job.jobId, seedCredentials, expiresAt: Math.ceil(job.deadlineAt / 1000) + BACKSTOP_SECONDS },
      },
    },
  };
}

/**
 * The job with its credentials, for a page of it to be rendered: only while it runs. A running job
 * whose credentials are gone would render its pages as a stranger (a login page recorded as the
 * page): that is an error, and the page is tried again or recorded failed, never crawled without them.
 */
export async function withSecrets(tables: JobTables, job: JobRecord | null): Promise<JobRecord | null> {
  if (!job || !job.usedCredentials || job.seedCredentials || job.status !== 'running' || !tables.names.secrets) return job;
  const result = await tables.db.send(new GetCommand({ TableName: tables.names.secrets, Key: { jobId: job.jobId }, ConsistentRead: true }));
  const credentials = result.Item?.seedCredentials as SeedCredentials | undefined;
  if (!credentials) throw new Error(`the credentials of running job ${job.jobId} are missing`);
  return { ...job, seedCredentials: credentials };
}

/** The secrets item's Delete, for the transaction that makes the job final (none without a secrets table). */
export function secretsDelete(tables: JobTables, jobId: string): { Delete: { TableName: string; Key: { jobId: string } } }[] {
  return tables.names.secrets ? [{ Delete: { TableName: tables.names.secrets, Key: { jobId } } }] : [];
}

/** Deletes the job's credentials now (the job stopped running); idempotent. */
export async function deleteSecrets(tables: JobTables, jobId: string): Promise<void> {
  if (!tables.names.secrets) return;
  await tables.db.send(new DeleteCommand({ TableName: tables.names.secrets, Key: { jobId } }));
}
