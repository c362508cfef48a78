// The job-wide memory of payloads already archived, so that a resource seen again (the shared CSS
// of every page) is written as a revisit record instead of once more. A port: the archive product
// only needs `claim`; DynamoDB makes it hold across Lambda environments (dynamo-payload-digests.ts).

/** Who first archived a payload in the job. */
export interface DigestClaim {
  /** this caller holds the claim: write the full record */
  first: boolean;
  /** the record the payload lives in: the revisit's WARC-Refers-To-Target-URI and -Date */
  uri: string;
  date: string;
}

export interface PayloadDigests {
  /**
   * Claims `digest` for the record (`uri`, `date`) of page `owner`. The first claimer keeps it; a
   * later call by the same owner (the page retried) gets `first: true` again with the date first
   * claimed, so a retried page writes the same full record the revisits of other pages refer to.
   */
  claim(jobId: string, digest: string, uri: string, date: string, owner: string): Promise<DigestClaim>;
}

/** One process's claims; for unit use and single-environment runs (the local CLI), not Lambda. */
export class InMemoryPayloadDigests implements PayloadDigests {
  private readonly claims = new Map<string, { uri: string; date: string; owner: string }>();

  async claim(jobId: string, digest: string, uri: string, date: string, owner: string): Promise<DigestClaim> {
    const key = `${jobId} ${digest}`;
    const existing = this.claims.get(key);
    if (!existing) {
      this.claims.set(key, { uri, date, owner });
      return { first: true, uri, date };
    }
    return { first: existing.owner === owner, uri: existing.uri, date: existing.date };
  }
}
