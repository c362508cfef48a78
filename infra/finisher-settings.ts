// The finisher's function and queue, shared by the CDK stack and the local stack (local/stack.ts)
// so both run the same limits. No imports: the local runtime reads this without CDK.

/** the longest a Lambda may run: a big job's manifest and archive, and then a resumption, need it */
export const FINISHER_TIMEOUT_SECONDS = 900;
/** the archive's reads in flight and the frontier's sort (spilled to /tmp) fit in 1 GiB */
export const FINISHER_MEMORY_MB = 1024;
/**
 * The finish queue's visibility timeout: above the finisher's timeout, so a request in flight is
 * never handed to a second finisher while the first may still live; a finisher that died is
 * resumed this long after it took the message.
 */
export const FINISH_VISIBILITY_TIMEOUT_SECONDS = FINISHER_TIMEOUT_SECONDS + 60;
