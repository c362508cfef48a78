// Resuming a job after a reconnect, when its `completed` went to the connection that was lost: the
// job's `status` (final, with its manifest URL) and the manifest say everything `completed` would
// have (the content and archive URLs too: a final job's `status` carries them).
import type { Manifest } from '../functions/core/manifest.js';
import type { CompletedMessage, StatusMessage } from '../functions/core/server-messages.js';

const FINAL = new Set(['succeeded', 'partial', 'cancelled', 'failed']);

export function isFinalStatus(status: StatusMessage['status']): status is CompletedMessage['status'] {
  return FINAL.has(status);
}

/** The `completed` a final job would have sent, rebuilt from its `status` answer and its manifest. */
export function completedFromStatus(status: StatusMessage, manifestUrl: string, manifest: Manifest): CompletedMessage {
  const durationMs = Date.parse(manifest.finishedAt) - Date.parse(manifest.startedAt);
  return {
    type: 'completed',
    jobId: status.jobId,
    status: isFinalStatus(manifest.status) ? manifest.status : (status.status as CompletedMessage['status']),
    pages: manifest.pages.length,
    failed: manifest.errors.length,
    durationMs: Number.isFinite(durationMs) && durationMs >= 0 ? durationMs : 0,
    cached: false,
    manifestUrl,
    ...(status.resultsUrl !== undefined ? { resultsUrl: status.resultsUrl } : {}),
    ...(status.archiveUrl !== undefined ? { archiveUrl: status.archiveUrl } : {}),
    ...(manifest.capped > 0 ? { capped: manifest.capped } : {}),
    ...(manifest.usage?.estimatedCostUsd !== undefined ? { estimatedCostUsd: manifest.usage.estimatedCostUsd } : {}),
    ...(manifest.endReason !== undefined ? { endReason: manifest.endReason } : {}),
  };
}

/** Exponential backoff with jitter (half to all of the step), capped. */
export function backoffMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, minMs * 2 ** attempt);
  return Math.round(step * (0.5 + random() / 2));
}
