// The `archive` page product: every HTTP exchange of the page as WARC 1.1 records (one gzip member
// each), for the job's WACZ and offline replay. A recorder attaches to the fresh tab before
// navigation; after the page settled, its exchanges become records, and a payload the job archived
// already (another page's stylesheet) becomes a revisit record pointing at the first copy.
//
// Two byte caps bound what is recorded. Per page, the recorder keeps at most `maxPageBytes` of
// bodies as they arrive. Per job, the page then asks the job's budget (archive-byte-budget.ts) for
// the payload bytes of its full records (revisits cost none): a partial grant cuts the bodies that
// go beyond it, in the order they were requested (the document first), each cut body marked
// `WARC-Truncated: length`; no grant leaves the page out of the archive (`skipped`, logged). The
// page itself is crawled either way: the caps only bound the archive.
import type { Page } from 'puppeteer-core';
import type { Logger, ProductOutput } from '../../core/ports.js';
import type { ArchiveByteBudget } from '../archive/archive-byte-budget.js';
import type { PayloadDigests } from '../archive/payload-digests.js';
import type { PageProduct, ProductContext } from './page-product.js';
import { ExchangeRecorder, type Exchange } from './archive/exchange-recorder.js';
import { exchangeRecords, sha256Digest, type RevisitOf } from './archive/warc-records.js';

/** Payload bytes recorded per page unless the job says otherwise; bodies beyond are cut and marked. */
export const DEFAULT_MAX_PAGE_BYTES = 20 * 1024 * 1024;
/** Below this a revisit record plus a DynamoDB write cost more than storing the payload again. */
export const DEFAULT_MIN_DEDUPE_BYTES = 1024;
/** Digest claims in flight at once for one page. */
const CLAIM_CONCURRENCY = 8;

export interface ArchiveProductOptions {
  /** the job whose archive the page's records join: the scope of revisits */
  jobId: string;
  /** the job-wide record of payloads already archived */
  digests: PayloadDigests;
  maxPageBytes?: number;
  /** the job-wide byte cap; none: only the per-page cap applies */
  budget?: ArchiveByteBudget;
  minDedupeBytes?: number;
  log?: Logger;
}

export interface ArchiveFacts {
  /** WARC records in the page's file */
  records: number;
  /** bytes of the page's .warc.gz */
  bytes: number;
  /** payload bytes of the page's full (non-revisit) records */
  payloadBytes: number;
  /** bodies cut by the page's or the job's byte cap */
  truncated: number;
  /** bodies cut (or emptied) because the job's archive reached its byte cap */
  cutByJobCap: number;
  /** payloads written as revisits of an earlier record */
  revisits: number;
  /** requests still loading when the page was read, not recorded */
  pending: number;
}

export class ArchiveProduct implements PageProduct {
  readonly name = 'archive';
  private recorder: ExchangeRecorder | undefined;
  private owner = '';
  /**
   * Payload digests computed for dedupe, by body: the record reuses them. Keyed by the body itself,
   * so a body cut afterwards (a new array) is hashed again, never given its uncut digest.
   */
  private readonly payloadDigests = new WeakMap<Uint8Array, string>();

  constructor(private readonly options: ArchiveProductOptions) {}

  async beforeNavigate(tab: Page, url: string): Promise<void> {
    this.owner = url;
    this.recorder = new ExchangeRecorder({ maxPageBytes: this.options.maxPageBytes ?? DEFAULT_MAX_PAGE_BYTES });
    await this.recorder.attach(tab);
  }

  async collect(_tab: Page | null, context: ProductContext): Promise<ProductOutput> {
    // Fetched without a browser: the fetcher's exchanges are the page's whole traffic.
    if (!this.recorder && !context.exchanges) return { error: 'archive recorder was not attached before navigation' };
    const { exchanges, pending } = this.recorder ? await this.recorder.finish() : { exchanges: context.exchanges!, pending: 0 };
    this.recorder = undefined;
    if (exchanges.length === 0) return { skipped: 'no HTTP exchange recorded' };
    const owner = this.owner || context.url;
    const revisits = await this.revisitsOf(exchanges, owner);
    const cut = await this.withinJobBudget(exchanges, revisits, owner);
    if (cut === 'not-archived') return { skipped: "the job's archive reached its byte cap (ARCHIVE_MAX_JOB_BYTES): page not archived" };
    const members: Uint8Array[] = [];
    for (const [index, exchange] of exchanges.entries()) {
      const known = exchange.body && this.payloadDigests.get(exchange.body);
      members.push(...(await exchangeRecords(exchange, revisits.get(index), known || undefined)));
    }
    const body = Buffer.concat(members);
    const facts: ArchiveFacts = {
      records: members.length,
      bytes: body.length,
      payloadBytes: exchanges.reduce((sum, e, index) => sum + (revisits.has(index) ? 0 : (e.body?.length ?? 0)), 0),
      truncated: exchanges.filter((e) => e.truncated).length,
      cutByJobCap: cut,
      revisits: revisits.size,
      pending,
    };
    return {
      fields: { archive: facts },
      files: [{ name: 'archive', extension: 'warc.gz', contentType: 'application/warc', body }],
    };
  }

  /**
   * Asks the job's budget for the payload bytes of the page's full records and cuts the bodies
   * beyond the grant. Returns how many bodies were cut, or 'not-archived' when the job's archive
   * is full (the page had bytes to record and got none, or it has none and the cap was reached).
   */
  private async withinJobBudget(exchanges: Exchange[], revisits: Map<number, RevisitOf>, owner: string): Promise<number | 'not-archived'> {
    const budget = this.options.budget;
    if (!budget) return 0;
    const full = exchanges.flatMap((exchange, index) => (revisits.has(index) ? [] : [exchange]));
    const wanted = full.reduce((sum, e) => sum + (e.body?.length ?? 0), 0);
    const grant = await budget.reserve(this.options.jobId, owner, wanted);
    if ((wanted > 0 && grant.granted === 0) || (wanted === 0 && grant.exhausted)) {
      this.options.log?.warn('archive byte cap of the job reached: page not archived', { jobId: this.options.jobId, url: owner, wantedBytes: wanted });
      return 'not-archived';
    }
    if (grant.granted >= wanted) return 0;
    let left = grant.granted;
    let cut = 0;
    for (const exchange of full) {
      const body = exchange.body;
      if (!body || body.length === 0) continue;
      const kept = Math.min(body.length, left);
      left -= kept;
      if (kept === body.length) continue;
      exchange.body = body.subarray(0, kept);
      exchange.truncated = true;
      cut++;
    }
    this.options.log?.warn('archive byte cap of the job reached: page archived with bodies cut', { jobId: this.options.jobId, url: owner, wantedBytes: wanted, grantedBytes: grant.granted, cut });
    return cut;
  }

  /**
   * Which exchanges (by index) are revisits, and of what. A payload met twice on the page refers to
   * its first occurrence there; otherwise the job-wide claim decides. The first claimer of a digest
   * keeps it, and when that is this page retried, its record takes the claimed date again, so the
   * revisits other pages wrote still point at a record that exists.
   */
  private async revisitsOf(exchanges: Exchange[], owner: string): Promise<Map<number, RevisitOf>> {
    const minBytes = this.options.minDedupeBytes ?? DEFAULT_MIN_DEDUPE_BYTES;
    const revisits = new Map<number, RevisitOf>();
    const firstOnPage = new Map<string, number>();
    const toClaim: { index: number; digest: string }[] = [];
    exchanges.forEach((exchange, index) => {
      const body = exchange.body;
      // a cut body's digest is not the resource's: never shared
      if (!body || exchange.truncated || body.length === 0 || body.length < minBytes) return;
      const digest = sha256Digest(body);
      this.payloadDigests.set(body, digest);
      const first = firstOnPage.get(digest);
      if (first === undefined) {
        firstOnPage.set(digest, index);
        toClaim.push({ index, digest });
      } else {
        revisits.set(index, { uri: exchanges[first]!.url, date: exchanges[first]!.date, digest });
      }
    });
    const claimed = new Map<number, RevisitOf>();
    for (let start = 0; start < toClaim.length; start += CLAIM_CONCURRENCY) {
      await Promise.all(
        toClaim.slice(start, start + CLAIM_CONCURRENCY).map(async ({ index, digest }) => {
          const exchange = exchanges[index]!;
          try {
            const claim = await this.options.digests.claim(this.options.jobId, digest, exchange.url, exchange.date, owner);
            if (!claim.first) claimed.set(index, { uri: claim.uri, date: claim.date, digest });
            else if (claim.uri === exchange.url) exchange.date = claim.date;
          } catch (error) {
            // dedupe saves bytes; a full record is never wrong
            this.options.log?.warn('payload digest claim failed; full record kept', { url: exchange.url, error: (error as Error).message });
          }
        }),
      );
    }
    for (const [index, revisit] of claimed) revisits.set(index, revisit);
    // on-page repeats follow their first occurrence's (possibly re-dated) record
    for (const [index, revisit] of revisits) {
      const first = firstOnPage.get(revisit.digest);
      if (first === undefined || claimed.has(index)) continue;
      const target = claimed.get(first) ?? { uri: exchanges[first]!.url, date: exchanges[first]!.date, digest: revisit.digest };
      revisits.set(index, target);
    }
    return revisits;
  }
}
