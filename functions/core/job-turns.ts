// Turns of jobs at a shared resource that only one job may use at a time, though any number of
// one job's users may use it together: the Lambda-mode browser, whose pages share one cookie jar
// and storage (adapters/browser/chromium.ts). Turns are first come, first served: once another
// job waits, the holding job's newcomers queue behind it, so no job starves the others. When the
// resource frees, the job at the head of the queue gets it, with all of that job's waiters at once.

/** A wait for a turn that did not end within its bound. */
export class TurnWaitTimeoutError extends Error {
  override name = 'TurnWaitTimeoutError';
  constructor(
    readonly job: string,
    readonly holder: string | undefined,
    readonly waitedMs: number,
  ) {
    super(`another job's pages held the browser for more than ${waitedMs} ms`);
  }
}

export interface Turn {
  /** the job that held the resource before this turn's job took it (undefined: none yet) */
  previous: string | undefined;
  /** gives the turn back; once only, later calls do nothing */
  release(): void;
}

interface Waiter {
  job: string;
  grant(previous: string | undefined): void;
}

export class JobTurns {
  /** the job whose users hold the resource now (or held it last, when `active` is 0) */
  private holder: string | undefined;
  private active = 0;
  private readonly waiting: Waiter[] = [];

  /** users holding the resource now */
  get holding(): number {
    return this.active;
  }

  /** users waiting for a turn */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves when `job` may use the resource; rejects with TurnWaitTimeoutError when no turn came
   * within `waitMs`. Every resolved turn must be released.
   */
  take(job: string, waitMs: number): Promise<Turn> {
    if (this.waiting.length === 0 && (this.active === 0 || this.holder === job)) return Promise.resolve(this.grantNow(job));
    return new Promise<Turn>((resolve, reject) => {
      const waiter: Waiter = {
        job,
        grant: (previous) => {
          clearTimeout(timer);
          resolve(this.turnOf(previous));
        },
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(waiter);
        if (at < 0) return;
        this.waiting.splice(at, 1);
        reject(new TurnWaitTimeoutError(job, this.holder, waitMs));
        // the head may now be the holder's own job, which need not wait any longer
        this.pump();
      }, waitMs);
      this.waiting.push(waiter);
    });
  }

  private grantNow(job: string): Turn {
    const previous = this.holder;
    this.holder = job;
    this.active++;
    return this.turnOf(previous);
  }

  private turnOf(previous: string | undefined): Turn {
    let released = false;
    return {
      previous,
      release: () => {
        if (released) return;
        released = true;
        this.active--;
        this.pump();
      },
    };
  }

  /** Grants the head of the queue, with all its job's waiters, when the resource allows. */
  private pump(): void {
    const head = this.waiting[0];
    if (!head || (this.active > 0 && head.job !== this.holder)) return;
    const previous = this.holder;
    this.holder = head.job;
    const granted = this.waiting.filter((waiter) => waiter.job === head.job);
    for (const waiter of granted) this.waiting.splice(this.waiting.indexOf(waiter), 1);
    this.active += granted.length;
    for (const waiter of granted) waiter.grant(previous);
  }
}
