// A page's children on its own host are sent already paced (core/paced-turns.ts): their turns in
// the host's backlog reserved in one gate write, each message delayed until its turn and carrying
// it, so it is received about once instead of being sent back to wait on its first delivery.
// Only the parent's own host is paced: it is the host that is busy (the parent has just navigated
// there), and the one whose robots.txt Crawl-delay the parent already knows. Children on other
// hosts go at once, as before: their hosts are often free, and pacing each would cost a write per
// host per page.
import { DEFAULT_HOST_RATE_CEILING, hostIntervalMs, hostKeyOf, jobIntervalMs } from '../core/host-rate.js';
import type { FrontierRecord, JobRecord } from '../core/job.js';
import { turnDelaySeconds } from '../core/paced-turns.js';
import type { CrawlMessage } from '../core/ports.js';
import type { WorkerDeps } from './deps.js';

/** What pacing needs of the parent: its URL (its host) and its host's robots.txt Crawl-delay. */
export interface ChildPacing {
  parentUrl: string;
  crawlDelaySeconds?: number;
}

export interface PacedMessages {
  messages: CrawlMessage[];
  /** per message, the SQS DelaySeconds until its turn (0 for children not paced) */
  delaysSeconds: number[];
}

/**
 * The children's messages, those on the parent's host with their turns and delays. A turn that is
 * never used (the message is lost, the job is cancelled) leaves one slot idle, no more: a turn
 * grants nothing, the gate still spaces the navigations. Should the reservation fail, the children
 * go unpaced: they then wait on their first delivery, as before.
 */
export async function paceChildren(job: JobRecord, messages: CrawlMessage[], pacing: ChildPacing, deps: WorkerDeps): Promise<PacedMessages> {
  const unpaced = { messages, delaysSeconds: messages.map(() => 0) };
  if (!deps.hostRate) return unpaced;
  const host = hostKeyOf(pacing.parentUrl);
  const onHost = messages.flatMap((message, index) => (hostKeyOf(message.url) === host ? [index] : []));
  if (onHost.length === 0) return unpaced;
  const hostInterval = hostIntervalMs(deps.limits.hostRateCeiling ?? DEFAULT_HOST_RATE_CEILING, pacing.crawlDelaySeconds);
  const jobInterval = jobIntervalMs(job.hostRate, hostInterval);
  let turns: number[];
  try {
    turns = await deps.hostRate.reserveTurns({ host, jobId: job.jobId, hostIntervalMs: hostInterval, ...(jobInterval !== undefined ? { jobIntervalMs: jobInterval } : {}), count: onHost.length });
  } catch (error) {
    deps.log.warn('could not reserve the children’s turns; they are sent unpaced', { jobId: job.jobId, url: pacing.parentUrl, error: String(error) });
    return unpaced;
  }
  if (turns.length !== onHost.length) return unpaced;
  const now = deps.clock.now();
  // A paced message is not a sign of life to the sweeper (a wait is: frontier releaseForHost), so
  // none is delayed past half the stall timeout; a turn further ahead is waited for on arrival.
  const maxSeconds = Math.floor(deps.limits.stallTimeoutMs / 2000);
  const paced = [...messages];
  const delaysSeconds = messages.map(() => 0);
  onHost.forEach((index, k) => {
    const turn = turns[k]!;
    paced[index] = { ...messages[index]!, hostTicketAt: turn };
    delaysSeconds[index] = turnDelaySeconds(turn, now, maxSeconds);
  });
  // The job now waits on the host until its last child's turn: its progress (and heartbeat) says so.
  const lastTurn = Math.max(...turns);
  if (lastTurn > now && movesNotedWait(job.jobId, lastTurn)) {
    await deps.frontier.notePacedWait(job.jobId, host, lastTurn).catch((error: unknown) =>
      deps.log.warn('could not note the paced children’s wait', { jobId: job.jobId, error: String(error) }),
    );
  }
  deps.log.debug('children sent paced', { jobId: job.jobId, url: pacing.parentUrl, paced: onHost.length, firstTurn: turns[0], lastTurn: turns[turns.length - 1] });
  return { messages: paced, delaysSeconds };
}

/**
 * The paced wait this process last noted per job. Most pages have children on their own host, and
 * the note is a write on the job item (contended by every environment): it is written only when it
 * moves the wait on by a step, which is all a progress message's `untilMs` needs.
 */
const notedWaits = new Map<string, number>();
const NOTED_WAIT_STEP_MS = 5_000;
const NOTED_WAIT_JOBS = 1_000;

function movesNotedWait(jobId: string, until: number): boolean {
  const noted = notedWaits.get(jobId);
  if (noted !== undefined && until < noted + NOTED_WAIT_STEP_MS) return false;
  if (notedWaits.size >= NOTED_WAIT_JOBS) notedWaits.clear();
  notedWaits.set(jobId, until);
  return true;
}

/**
 * The claimed URL's turn: the later of the one its message carries (a paced child) and the one its
 * frontier item holds (it was sent back to wait before); a stale one is simply not due
 * (HostTicket.isDue), and the URL then queues like any other.
 */
export function withMessageTurn(record: FrontierRecord, message: CrawlMessage): FrontierRecord {
  if (message.hostTicketAt === undefined) return record;
  if (record.hostTicketAt !== undefined && record.hostTicketAt >= message.hostTicketAt) return record;
  return { ...record, hostTicketAt: message.hostTicketAt };
}
