// Exact depth whatever the order of the work: a URL's depth is its shortest path from a seed.
//
// Waits for a host reorder the crawl, so a URL may be found first through a longer path. When a
// shorter path finds it later, its frontier record takes the smaller depth (a conditional update:
// only ever lowered), and what follows from the old depth is mended:
//   queued   → lowered in place, and sent (the record wins over the depth a message carries);
//   claimed  → lowered in place; the worker that holds it settles only at the depth it crawled
//              (a condition of the settle), so it sees the change and admits its links again;
//   done     → its links were admitted one level too deep, or cut at the job's depth: it is
//              reopened (queued again, its settle taken back on its counter shard, so
//              `admitted - settled` stays exact) and a worker admits its stored links at the new
//              depth; a page with no links is only lowered;
//   failed, blocked → lowered in place (the manifest lists it at its shortest depth);
//   alias    → the page it stands for is lowered instead (app/admit-children.ts);
//   warning, capped → no URL of the crawl: left alone.
import type { FrontierRecord } from './job.js';

export type DepthRepair =
  /** nothing to mend: the record's depth is already this small, or it is no page of the crawl */
  | { kind: 'none' }
  /** a conditional update of depth and parent; `send`: the URL must be (again) on the queue */
  | { kind: 'lower'; send: boolean }
  /** a done page whose links must be admitted again, one level shallower */
  | { kind: 'reopen' };

/** What a record needs when its URL is found at `depth`. */
export function depthRepairOf(record: Pick<FrontierRecord, 'state' | 'depth' | 'summary'>, depth: number): DepthRepair {
  if (!(record.depth > depth)) return { kind: 'none' };
  switch (record.state) {
    case 'queued':
      return { kind: 'lower', send: true };
    case 'claimed':
    case 'failed':
    // a blocked page's links were never followed: nothing to admit again
    case 'blocked':
      return { kind: 'lower', send: false };
    case 'done':
      // A page with no links has no children to admit again; its summary only moves level.
      return record.summary?.links === 0 ? { kind: 'lower', send: false } : { kind: 'reopen' };
    default:
      return { kind: 'none' };
  }
}

/**
 * A page reopened for its links (see above): it keeps the summary of its crawl, so the worker that
 * claims it admits the stored page's links instead of rendering it again.
 */
export function isReopenedPage(record: Pick<FrontierRecord, 'state' | 'summary'>): boolean {
  return (record.state === 'queued' || record.state === 'claimed') && record.summary !== undefined;
}
