// The race to finish a job: the worker that loses `running → finishing` leaves the manifest to the
// winner (writing it alongside would repeat the whole job's work), but still completes a job that
// is final already (its slot, its `completed`). Stores are plain fakes: only the decision is tested.
import { describe, expect, it } from 'vitest';
import type { AppDeps } from '../../functions/app/deps.js';
import { finishIfDone } from '../../functions/app/finish-job.js';
import type { JobRecord } from '../../functions/core/job.js';
import { DEFAULT_LIMITS } from '../../functions/core/limits.js';

function depsWith(jobAfterRace: Partial<JobRecord>) {
  const calls: string[] = [];
  const running = { jobId: 'j', url: 'http://s/', depth: 1, status: 'running', startedAt: 0, admitted: 3, settled: 3, done: 3, failed: 0, connectionId: 'c' } as JobRecord;
  let reads = 0;
  const deps = {
    jobs: {
      getJob: async () => (reads++ === 0 ? running : { ...running, ...jobAfterRace }),
      // the finisher begins through the check over the job item and its counter shards
      beginFinishIfSettled: async () => {
        calls.push('beginFinish');
        return false;
      },
      completeFinish: async () => {
        calls.push('completeFinish');
        return true;
      },
      releaseSlot: async () => {
        calls.push('releaseSlot');
      },
      claimNotification: async () => {
        calls.push('claimNotification');
        return false;
      },
    },
    frontier: {
      listPages: async function* () {
        calls.push('listPages');
      },
    },
    results: {},
    clock: { now: () => 5 },
    limits: DEFAULT_LIMITS,
  } as unknown as AppDeps;
  return { deps, calls };
}

describe('the race to finish a job', () => {
  it('the loser does not write the manifest of a job the winner is finishing', async () => {
    const { deps, calls } = depsWith({ status: 'finishing', finalStatus: 'succeeded', finishedAt: 4 });
    await finishIfDone('j', deps);
    expect(calls).toEqual(['beginFinish']);
  });

  it('the loser completes what a final job still owes (slot, completed)', async () => {
    const { deps, calls } = depsWith({ status: 'succeeded', finalStatus: 'succeeded', finishedAt: 4, slotPending: true });
    await finishIfDone('j', deps);
    expect(calls).toEqual(['beginFinish', 'releaseSlot', 'claimNotification']);
  });
});
