// `--finisher-only`: the finisher's manifest writing on a settled frontier of N pages written
// straight into DynamoDB Local (BatchWriteItem), without crawling them first: what the crawl would
// leave (one done item a page of the link graph, with its summary), so the finisher's memory and
// time can be read at sizes the crawl itself would take an hour to reach on this machine.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchWriteCommand, type BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { FrontierRecord, JobRecord } from '../../functions/core/job.js';
import { pageObjectKey, sha256Hex, urlKeyOf } from '../../functions/core/keys.js';
import { depthOf, linksOf, pageUrl, type LinkGraph } from './link-graph.js';

/** Depth of page i in the tree of the graph (the crawl reaches it first through its parent). */
function depthOfPage(graph: LinkGraph, index: number): number {
  let depth = 0;
  for (let i = index; i > 0; i = Math.floor((i - 1) / graph.fanOut)) depth++;
  return depth;
}

export function settledRecord(graph: LinkGraph, jobId: string, index: number, expiresAt: number): FrontierRecord {
  const url = pageUrl(graph, index);
  const urlKey = urlKeyOf(url);
  const depth = depthOfPage(graph, index);
  const parent = index === 0 ? null : pageUrl(graph, Math.floor((index - 1) / graph.fanOut));
  return {
    jobId,
    urlKey,
    url,
    depth,
    parent,
    discoveredBy: parent === null ? null : urlKeyOf(parent),
    state: 'done',
    attempts: 1,
    expiresAt,
    summary: {
      url,
      finalUrl: url,
      depth,
      parent,
      status: 200,
      title: `page ${index}`,
      sha256: sha256Hex(url),
      links: linksOf(graph, index).length,
      key: pageObjectKey(jobId, urlKey),
      timings: { queueWaitMs: null, navigationMs: 0, settleMs: 0, extractMs: 0, dynamodbMs: 9, sqsMs: 0, s3Ms: 0, totalMs: 9 },
    },
  };
}

/** Writes the settled frontier of the graph and returns the job, ready for its finish. */
export async function writeSettledJob(db: DynamoDBDocumentClient, tables: { jobs: string; frontier: string }, graph: LinkGraph, job: JobRecord): Promise<JobRecord> {
  const write = async (items: FrontierRecord[]) => {
    let requests: BatchWriteCommandOutput['UnprocessedItems'] = { [tables.frontier]: items.map((Item) => ({ PutRequest: { Item } })) };
    while (requests && Object.keys(requests).length > 0) {
      const out: BatchWriteCommandOutput = await db.send(new BatchWriteCommand({ RequestItems: requests }));
      requests = out.UnprocessedItems;
    }
  };
  const batches: Promise<void>[] = [];
  for (let start = 0; start < graph.pages; start += 25) {
    const items = Array.from({ length: Math.min(25, graph.pages - start) }, (_, i) => settledRecord(graph, job.jobId, start + i, job.expiresAt));
    batches.push(write(items));
    // Eight batches in flight: DynamoDB Local keeps up, and memory holds only those.
    if (batches.length >= 8) await Promise.all(batches.splice(0));
  }
  await Promise.all(batches);
  return { ...job, depth: depthOf(graph), admitted: graph.pages, settled: graph.pages, done: graph.pages, status: 'finishing', finalStatus: 'succeeded', finishedAt: Date.now() };
}
