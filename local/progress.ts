// The CLI's progress display: a bar redrawn in place on a terminal, plain lines otherwise (a log
// file or a pipe should not fill with carriage returns and escape codes).

export interface Counts {
  done: number;
  queued: number;
  failed: number;
}

const BAR_WIDTH = 24;

function clock(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const mm = String(Math.floor((seconds % 3600) / 60)).padStart(2, '0');
  const ss = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** `[#########---------] 12/30  done 11 · queued 18 · failed 1 · 3.2 pages/s · 00:12` */
export function progressLine(counts: Counts, elapsedMs: number, withBar: boolean): string {
  const finished = counts.done + counts.failed;
  const known = finished + counts.queued;
  const rate = elapsedMs > 0 ? finished / (elapsedMs / 1000) : 0;
  const stats = `done ${counts.done} · queued ${counts.queued} · failed ${counts.failed} · ${rate.toFixed(1)} pages/s · ${clock(elapsedMs)}`;
  if (!withBar) return `progress    ${stats}`;
  const filled = known > 0 ? Math.round((finished / known) * BAR_WIDTH) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${finished}/${known}  ${stats}`;
}

export class ProgressDisplay {
  private counts: Counts;
  private lastPlain = '';
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly startedAt: number,
    private readonly now: () => number = Date.now,
    /** before the first progress message: the seeds, queued */
    seeds = 1,
  ) {
    this.counts = { done: 0, queued: seeds, failed: 0 };
  }

  get isTerminal(): boolean {
    return this.out.isTTY === true;
  }

  start(): void {
    // On a terminal the clock and the rate move even between progress messages.
    if (this.isTerminal) this.timer = setInterval(() => this.draw(), 250);
  }

  update(counts: Counts): void {
    this.counts = counts;
    if (this.isTerminal) return this.draw();
    const line = progressLine(counts, this.now() - this.startedAt, false);
    // plain mode: one line per change of the counts, not per tick
    const key = `${counts.done}/${counts.queued}/${counts.failed}`;
    if (key !== this.lastPlain) {
      this.lastPlain = key;
      this.out.write(`${line}\n`);
    }
  }

  /** Final counts, the bar left on screen, the cursor on a new line. */
  stop(final?: Counts): void {
    clearInterval(this.timer);
    if (final) this.counts = final;
    if (this.isTerminal && (this.drawn || final)) {
      this.draw();
      this.out.write('\n');
    }
  }

  private draw(): void {
    const line = progressLine(this.counts, this.now() - this.startedAt, true);
    const width = this.out.columns || 120;
    this.out.write(`\r${line.slice(0, Math.max(10, width - 1))}\x1b[K`);
    this.drawn = true;
  }
}
