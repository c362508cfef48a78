// What the console shows, read the way a user of the deployed stack would read it: DynamoDB Scan and
// Query on the jobs and frontier tables, SQS GetQueueAttributes on the crawl queue and its DLQ, S3
// HeadObject/GetObject and presigned GETs on the results bucket. It takes clients and resource
// names only, so the same module can point at a stack on AWS.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SQSClient, type QueueAttributeName } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { batchGetAll } from '../../functions/adapters/dynamodb/batch-get.js';
import { jobIdOfShardKey, shardKeysOf, withShardCounters, type ShardCounters } from '../../functions/core/counter-shards.js';
import { archiveObjectKey, resultsObjectKey } from '../../functions/core/keys.js';

export interface ConsoleResources {
  jobsTable: string;
  frontierTable: string;
  queueUrl: string;
  dlqUrl: string;
  bucket: string;
}

export interface ConsoleClients {
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  s3: S3Client;
}

export interface JobRow {
  jobId: string;
  url: string;
  status: string;
  depth: number;
  maxPages: number;
  formats: string[];
  admitted: number;
  done: number;
  failed: number;
  queued: number;
  /** settled / admitted, 0..1 */
  progress: number;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number;
  endReason: string | null;
}

export interface QueueFigures {
  name: string;
  url: string;
  ApproximateNumberOfMessages: number;
  ApproximateNumberOfMessagesNotVisible: number;
  ApproximateNumberOfMessagesDelayed: number;
}

export interface PageRow {
  urlKey: string;
  url: string;
  depth: number;
  parent: string | null;
  state: string;
  attempts: number;
  httpStatus: number | null;
  title: string | null;
  finalUrl: string | null;
  links: number | null;
  timings: Record<string, number | null> | null;
  error: string | null;
  /** presigned GETs of the page's record and of the files its products made */
  files: Record<string, string>;
  hasMarkdown: boolean;
}

export interface JobDetail {
  job: JobRow;
  /** pages by depth: levels[0] holds the seeds; at most MAX_ROWS_PER_LEVEL each */
  levels: PageRow[][];
  /** how many URLs each level holds in all */
  levelSizes: number[];
  /** the first MAX_ROWS_PER_LEVEL failures, and how many there are */
  errors: { url: string; error: string }[];
  errorCount: number;
  outputs: { manifest?: string; pages?: string; archive?: string };
}

/** Stored in the jobs table beside the jobs (result cache entries), not jobs themselves. */
const CACHE_PREFIX = 'cache#';
const PRESIGN_SECONDS = 900;
/** A wider scan only slows the page: the console lists the newest jobs of what it reads. */
const MAX_JOBS = 200;
/** Rows a level shows (a page of the browser, not an export: the manifest has them all). */
const MAX_ROWS_PER_LEVEL = 200;

// The stored shapes (functions/core/job.ts), only the fields the console reads.
interface StoredJob {
  jobId: string;
  url: string;
  status: string;
  depth: number;
  maxPages: number;
  formats?: string[];
  admitted: number;
  settled: number;
  done: number;
  failed: number;
  startedAt: number;
  finishedAt?: number;
  endReason?: string;
  manifestKey?: string;
  /** settles are counted on this many shard items beside the job (functions/core/counter-shards.ts) */
  counterShards?: number;
}

interface StoredUrl {
  urlKey: string;
  url: string;
  depth: number;
  parent: string | null;
  state: string;
  attempts: number;
  summary?: {
    finalUrl: string;
    status: number | null;
    title: string;
    links: number;
    key: string;
    outputs?: Record<string, string>;
    timings?: Record<string, number | null>;
  };
  failure?: { url: string; error: string };
}

const FINAL = new Set(['succeeded', 'partial', 'cancelled', 'failed']);

export class ConsoleState {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    private readonly clients: ConsoleClients,
    private readonly resources: ConsoleResources,
    private readonly now: () => number = Date.now,
  ) {
    this.documents = DynamoDBDocumentClient.from(clients.dynamodb);
  }

  async jobs(): Promise<JobRow[]> {
    const jobs: StoredJob[] = [];
    // A job's counts are its item's plus its counter shards': the scan reads them all anyway.
    const shards = new Map<string, ShardCounters[]>();
    const pages = paginateScan(
      { client: this.documents },
      {
        TableName: this.resources.jobsTable,
        FilterExpression: '(attribute_exists(#status) AND NOT begins_with(jobId, :cache)) OR contains(jobId, :shard)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':cache': CACHE_PREFIX, ':shard': '#shard#' },
      },
    );
    for await (const page of pages) {
      for (const item of (page.Items ?? []) as StoredJob[]) {
        const owner = jobIdOfShardKey(item.jobId);
        if (owner === null) jobs.push(item);
        else shards.set(owner, [...(shards.get(owner) ?? []), item as ShardCounters]);
      }
    }
    const rows = jobs.map((job) => this.jobRow(withShardCounters(job, shards.get(job.jobId) ?? [])));
    return rows.sort((a, b) => b.startedAt - a.startedAt).slice(0, MAX_JOBS);
  }

  async queues(): Promise<QueueFigures[]> {
    return Promise.all([
      this.queueFigures('crawl', this.resources.queueUrl),
      this.queueFigures('crawl DLQ', this.resources.dlqUrl),
    ]);
  }

  async job(jobId: string): Promise<JobDetail | null> {
    const stored = await this.documents.send(new GetCommand({ TableName: this.resources.jobsTable, Key: { jobId }, ConsistentRead: true }));
    const item = stored.Item as StoredJob | undefined;
    if (!item || item.jobId.startsWith(CACHE_PREFIX) || item.status === undefined) return null;
    const shardKeys = shardKeysOf(jobId, item.counterShards).map((key) => ({ jobId: key }));
    const job = withShardCounters(item, (await batchGetAll(this.documents, this.resources.jobsTable, shardKeys, { consistent: true })) as ShardCounters[]);
    const urls: StoredUrl[] = [];
    const pages = paginateQuery(
      { client: this.documents },
      { TableName: this.resources.frontierTable, KeyConditionExpression: 'jobId = :jobId', ExpressionAttributeValues: { ':jobId': jobId } },
    );
    for await (const page of pages) urls.push(...((page.Items ?? []) as StoredUrl[]));
    // Aliases are redirect targets recorded to stop a second crawl: not pages of their own.
    const pagesByDepth: StoredUrl[][] = [];
    for (const u of urls.filter((u) => u.state !== 'alias').sort((a, b) => a.url.localeCompare(b.url))) (pagesByDepth[u.depth] ??= []).push(u);
    const failed = urls.filter((u) => u.state === 'failed').sort((a, b) => a.url.localeCompare(b.url));
    const levels = await Promise.all(Array.from(pagesByDepth, (level) => Promise.all((level ?? []).slice(0, MAX_ROWS_PER_LEVEL).map((u) => this.pageRow(u, job)))));
    return {
      job: this.jobRow(job),
      levels,
      levelSizes: Array.from(pagesByDepth, (level) => level?.length ?? 0),
      errors: failed.slice(0, MAX_ROWS_PER_LEVEL).map((u) => ({ url: u.url, error: u.failure?.error ?? 'failed' })),
      errorCount: failed.length,
      outputs: await this.jobOutputs(job),
    };
  }

  /** The Markdown and text a page's products kept in its record, if any. */
  async pageContent(jobId: string, urlKey: string): Promise<{ markdown: string | null; text: string | null } | null> {
    const stored = await this.documents.send(new GetCommand({ TableName: this.resources.frontierTable, Key: { jobId, urlKey } }));
    const key = (stored.Item as StoredUrl | undefined)?.summary?.key;
    if (!key) return null;
    const object = await this.clients.s3.send(new GetObjectCommand({ Bucket: this.resources.bucket, Key: key }));
    const record = JSON.parse((await object.Body?.transformToString('utf8')) ?? 'null') as {
      outputs?: Record<string, { fields?: Record<string, unknown> }>;
    } | null;
    const field = (product: string) => {
      const value = record?.outputs?.[product]?.fields?.[product];
      return typeof value === 'string' ? value : null;
    };
    return { markdown: field('markdown'), text: field('text') };
  }

  private jobRow(job: StoredJob): JobRow {
    const admitted = job.admitted ?? 0;
    const settled = job.settled ?? 0;
    return {
      jobId: job.jobId,
      url: job.url,
      status: job.status,
      depth: job.depth,
      maxPages: job.maxPages,
      formats: job.formats ?? ['html'],
      admitted,
      done: job.done ?? 0,
      failed: job.failed ?? 0,
      queued: Math.max(0, admitted - settled),
      progress: admitted > 0 ? Math.min(1, settled / admitted) : 0,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt ?? null,
      durationMs: Math.max(0, (job.finishedAt ?? this.now()) - job.startedAt),
      endReason: job.endReason ?? null,
    };
  }

  private async queueFigures(name: string, url: string): Promise<QueueFigures> {
    const names: QueueAttributeName[] = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'];
    const result = await this.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names }));
    const figure = (attribute: QueueAttributeName) => Number(result.Attributes?.[attribute] ?? 0);
    return {
      name,
      url,
      ApproximateNumberOfMessages: figure('ApproximateNumberOfMessages'),
      ApproximateNumberOfMessagesNotVisible: figure('ApproximateNumberOfMessagesNotVisible'),
      ApproximateNumberOfMessagesDelayed: figure('ApproximateNumberOfMessagesDelayed'),
    };
  }

  private async pageRow(u: StoredUrl, job: StoredJob): Promise<PageRow> {
    const files: Record<string, string> = {};
    if (u.summary?.key) files.record = await this.presign(u.summary.key);
    for (const [name, key] of Object.entries(u.summary?.outputs ?? {})) files[name] = await this.presign(key);
    return {
      urlKey: u.urlKey,
      url: u.url,
      depth: u.depth,
      parent: u.parent,
      state: u.state,
      attempts: u.attempts ?? 0,
      httpStatus: u.summary?.status ?? null,
      title: u.summary?.title ?? null,
      finalUrl: u.summary?.finalUrl ?? null,
      links: u.summary?.links ?? null,
      timings: u.summary?.timings ?? null,
      error: u.failure?.error ?? null,
      files,
      hasMarkdown: u.state === 'done' && (job.formats ?? []).includes('markdown'),
    };
  }

  private async jobOutputs(job: StoredJob): Promise<JobDetail['outputs']> {
    if (!FINAL.has(job.status)) return {};
    const outputs: JobDetail['outputs'] = {};
    if (job.manifestKey) outputs.manifest = await this.presign(job.manifestKey);
    // The finisher writes these only for some jobs: link what is there.
    const [pages, archive] = await Promise.all([this.existing(resultsObjectKey(job.jobId)), this.existing(archiveObjectKey(job.jobId))]);
    if (pages) outputs.pages = pages;
    if (archive) outputs.archive = archive;
    return outputs;
  }

  private async existing(key: string): Promise<string | undefined> {
    try {
      await this.clients.s3.send(new HeadObjectCommand({ Bucket: this.resources.bucket, Key: key }));
      return await this.presign(key);
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (error as Error).name === 'NotFound' || (error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  private presign(key: string): Promise<string> {
    return getSignedUrl(this.clients.s3, new GetObjectCommand({ Bucket: this.resources.bucket, Key: key }), { expiresIn: PRESIGN_SECONDS });
  }
}
