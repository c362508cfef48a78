// The job-wide byte cap of a web archive: every page asks for the payload bytes it wants to record
// and gets at most what the job has left. A port: the archive product only needs `reserve`; the
// DynamoDB adapter (dynamo-archive-byte-budget.ts) makes the cap hold across crawler environments.

/** What a page may record. */
export interface ByteGrant {
  /** payload bytes the page may record, 0..wanted */
  granted: number;
  /** the job's archive had less left than the page wanted: it is full from here on */
  exhausted: boolean;
}

export interface ArchiveByteBudget {
  /**
   * Reserves up to `wanted` payload bytes of job `jobId`'s archive for page `owner`. The grant is
   * made once per page: the same page asking again (a retry, a duplicate delivery, a redrive) gets
   * its first grant back, at most `wanted`, and is never counted twice.
   */
  reserve(jobId: string, owner: string, wanted: number): Promise<ByteGrant>;
}

/** One process's grants; for unit use and single-environment runs, not Lambda. */
export class InMemoryArchiveByteBudget implements ArchiveByteBudget {
  private readonly used = new Map<string, number>();
  private readonly grants = new Map<string, { granted: number; wanted: number }>();

  constructor(private readonly maxJobBytes: number) {}

  async reserve(jobId: string, owner: string, wanted: number): Promise<ByteGrant> {
    const used = this.used.get(jobId) ?? 0;
    if (wanted <= 0) return { granted: 0, exhausted: used >= this.maxJobBytes };
    const earlier = this.grants.get(`${jobId} ${owner}`);
    if (earlier) return { granted: Math.min(wanted, earlier.granted), exhausted: earlier.granted < earlier.wanted };
    const granted = Math.max(0, Math.min(wanted, this.maxJobBytes - used));
    this.used.set(jobId, used + granted);
    this.grants.set(`${jobId} ${owner}`, { granted, wanted });
    return { granted, exhausted: granted < wanted };
  }
}
