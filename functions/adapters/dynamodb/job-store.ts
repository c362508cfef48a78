// The jobs table: a job's options, counters and life cycle. Every state change is conditional, so
// a job ends exactly once however many workers race to end it. A job's settles are counted on its
// counter shard items (core/counter-shards.ts); every job this store returns has them summed.
//
// The store is split by what it stores, each part a module of functions over the tables
// (job-tables.ts): the job record (job-record.ts), its counts (job-counters.ts), a connection's
// job slots (connection-slots.ts), a job's ending (job-finish.ts), redrive (job-redrive.ts) and
// what a request may reuse (job-reuse.ts). This class is the JobStore port over them. Where one of
// its methods goes through another (an unforced finish, the slot freed once final, a job built
// upon an earlier crawl created), it calls that method, so a subclass that watches one method sees
// every call of it (bench/bookkeeping/run.ts times the finish so).
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FinalStatus, FrontierRecord, JobCounters, JobRecord, ReusePending } from '../../core/job.js';
import { systemClock, type CacheEntry, type Clock, type JobStore, type RedriveRun } from '../../core/ports.js';
import * as slots from './connection-slots.js';
import * as connection from './job-connection.js';
import * as counters from './job-counters.js';
import * as finish from './job-finish.js';
import * as heartbeats from './heartbeat-chain.js';
import * as record from './job-record.js';
import * as redrive from './job-redrive.js';
import * as reuse from './job-reuse.js';
import type { JobTables } from './job-tables.js';
import type { ClientQuota, QuotaRefusal } from '../../core/client-quota.js';

export class DynamoJobStore implements JobStore {
  private readonly tables: JobTables;
  private readonly settings: record.SharedSettingsReads;

  constructor(db: DynamoDBDocumentClient, tables: JobTables['names'], clock: Clock = systemClock) {
    this.tables = { db, names: tables, clock };
    this.settings = new record.SharedSettingsReads(this.tables);
  }

  createJob(job: JobRecord, seed: FrontierRecord, maxJobsPerConnection: number, quota?: ClientQuota): Promise<'created' | 'too-many-jobs' | QuotaRefusal> {
    return record.createJob(this.tables, job, seed, maxJobsPerConnection, quota);
  }

  getJob(jobId: string): Promise<JobRecord | null> {
    return counters.readJob(this.tables, jobId);
  }

  getJobSettings(jobId: string, options?: { credentials?: boolean }): Promise<JobRecord | null> {
    return this.settings.read(jobId, options?.credentials ?? true);
  }

  readAfterSettle(jobId: string, now: number, intervalMs: number, counterShards?: number): Promise<{ job: JobRecord | null; progressDue: boolean }> {
    return record.readAfterSettle(this.tables, jobId, now, intervalMs, counterShards);
  }

  startHeartbeatChain(jobId: string, beat: string): Promise<void> {
    return heartbeats.startHeartbeatChain(this.tables, jobId, beat);
  }

  passHeartbeat(jobId: string, beat: string | undefined, next: string): Promise<boolean> {
    return heartbeats.passHeartbeat(this.tables, jobId, beat, next);
  }

  beginFinish(jobId: string, status: FinalStatus, finishedAt: number, force?: { reason: string }): Promise<boolean> {
    if (!force) return this.beginFinishIfSettled(jobId, () => status, finishedAt);
    return finish.beginForcedFinish(this.tables, jobId, status, finishedAt, force.reason);
  }

  beginFinishIfSettled(jobId: string, statusOf: (counts: JobCounters) => FinalStatus, finishedAt: number): Promise<boolean> {
    return finish.beginFinishIfSettled(this.tables, jobId, statusOf, finishedAt);
  }

  listUnfinished(): Promise<JobRecord[]> {
    return finish.listUnfinished(this.tables);
  }

  async completeFinish(job: JobRecord, status: FinalStatus, manifestKey: string): Promise<boolean> {
    if (!(await finish.makeFinal(this.tables, job, status, manifestKey))) return false;
    await this.releaseSlot(job);
    return true;
  }

  moveNotifications(job: JobRecord, connectionId: string): Promise<boolean> {
    return connection.moveNotifications(this.tables, job, connectionId);
  }

  releaseSlot(job: JobRecord): Promise<void> {
    return slots.releaseSlot(this.tables, job);
  }

  claimNotification(jobId: string, now: number, finishedAt?: number): Promise<boolean> {
    return finish.claimNotification(this.tables, jobId, now, finishedAt);
  }

  openRedrive(job: JobRecord, run: RedriveRun, maxJobsPerConnection: number, quota?: ClientQuota): Promise<'started' | 'refused' | 'too-many-jobs' | QuotaRefusal> {
    return redrive.openRedrive(this.tables, job, run, maxJobsPerConnection, quota);
  }

  requeueFailed(jobId: string, run: number, failed: readonly FrontierRecord[]): Promise<boolean> {
    return redrive.requeueFailed(this.tables, jobId, run, failed);
  }

  endRedrive(jobId: string, run: number): Promise<void> {
    return redrive.endRedrive(this.tables, jobId, run);
  }

  getCacheEntry(cacheKey: string): Promise<CacheEntry | null> {
    return reuse.getCacheEntry(this.tables, cacheKey);
  }

  getCacheEntries(cacheKeys: readonly string[]): Promise<CacheEntry[]> {
    return reuse.getCacheEntries(this.tables, cacheKeys);
  }

  async commitReuse(built: JobRecord, items: readonly FrontierRecord[]): Promise<boolean> {
    await reuse.putReusedFrontier(this.tables, items);
    return reuse.commitReuseCounters(this.tables, built);
  }

  advanceReuse(jobId: string, from: ReusePending['state'], to: 'seeds' | null): Promise<boolean> {
    return reuse.advanceReuse(this.tables, jobId, from, to);
  }
}
