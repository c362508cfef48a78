// A client's allowance in the jobs table (core/client-quota.ts): `client#{principal}` counts its
// running jobs, `client#{principal}#day#{day}` the pages its jobs took that day. They are taken in
// the transaction that starts a job (beside its connection's slot), and given back in the one that
// frees that slot when it ends, so a crash between the two leaves the job's `slotPending` note for a
// redelivered finisher or the sweeper to finish, and nothing is given back twice.
import { clientDayKey, clientJobsKey, pagesToGiveBack, type ClientQuota, type QuotaRefusal } from '../../core/client-quota.js';
import type { JobRecord } from '../../core/job.js';
import type { JobTables } from './job-tables.js';

/** a day's item outlives its day by this much, for whoever reads it */
const DAY_ITEM_SECONDS = 3 * 24 * 60 * 60;
/**
 * a client's running-jobs counter expires this long after its last start: longer than any job runs
 * (the time limit is hours), so it never expires under a running job; a client gone quiet leaves no
 * item behind, and a count left wrong by a lost release heals
 */
const RUNNING_ITEM_SECONDS = 7 * 24 * 60 * 60;

export interface QuotaItem {
  refusal: QuotaRefusal;
  item: { Update: Record<string, unknown> };
}

/** The updates that take the allowance, each refusing (its condition) when the quota is reached. */
export function takeQuota(tables: JobTables, quota: ClientQuota | undefined, now: number): QuotaItem[] {
  if (!quota) return [];
  const items: QuotaItem[] = [];
  if (quota.maxRunningJobs > 0) {
    items.push({
      refusal: 'client-jobs-quota',
      item: {
        Update: {
          TableName: tables.names.jobs,
          Key: { jobId: clientJobsKey(quota.principal) },
          UpdateExpression: 'SET expiresAt = :expiresAt ADD runningJobs :one',
          ConditionExpression: 'attribute_not_exists(runningJobs) OR runningJobs < :max',
          ExpressionAttributeValues: { ':one': 1, ':max': quota.maxRunningJobs, ':expiresAt': Math.floor(now / 1000) + RUNNING_ITEM_SECONDS },
        },
      },
    });
  }
  if (quota.maxPagesPerDay > 0 && quota.pages > 0) {
    items.push({
      refusal: 'client-pages-quota',
      item: {
        Update: {
          TableName: tables.names.jobs,
          Key: { jobId: clientDayKey(quota.principal, quota.day) },
          UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :expiresAt) ADD pages :pages',
          // room for all of them: what the day took so far plus these stays within the quota (a
          // start that takes more than a whole day is refused before: core/client-quota.ts)
          ConditionExpression: 'attribute_not_exists(pages) OR pages <= :room',
          ExpressionAttributeValues: { ':pages': quota.pages, ':expiresAt': Math.floor(now / 1000) + DAY_ITEM_SECONDS, ':room': Math.max(0, quota.maxPagesPerDay - quota.pages) },
        },
      },
    });
  }
  return items;
}

/** The updates that give a finished run's allowance back (none for a job that holds none). */
export function giveBackQuota(tables: JobTables, job: JobRecord): { Update: Record<string, unknown> }[] {
  const note = job.quota;
  if (!note || job.owner === undefined) return [];
  const items: { Update: Record<string, unknown> }[] = [];
  if (note.running) {
    items.push({
      Update: {
        TableName: tables.names.jobs,
        Key: { jobId: clientJobsKey(job.owner) },
        UpdateExpression: 'ADD runningJobs :minusOne',
        ConditionExpression: 'runningJobs > :zero',
        ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
      },
    });
  }
  const back = pagesToGiveBack(note, job.admitted);
  if (back > 0) {
    items.push({
      Update: {
        TableName: tables.names.jobs,
        Key: { jobId: clientDayKey(job.owner, note.day) },
        UpdateExpression: 'ADD pages :back',
        ConditionExpression: 'pages >= :given',
        ExpressionAttributeValues: { ':back': -back, ':given': back },
      },
    });
  }
  return items;
}
