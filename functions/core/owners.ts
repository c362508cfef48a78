// Who owns a job: every job has an owner, so an item without one is no job a client made.
/**
 * The owner a job is created with: the authorizer's principal, or ANONYMOUS_OWNER when auth is off.
 * Every job has one, so an item without an owner is no job a client made (the stack's own items in
 * the jobs table, e.g. `host-rate#<host>`) and no client can read it.
 */
export const ANONYMOUS_OWNER = '(anonymous)';

export function ownerFor(principal: string | undefined): string {
  return principal ?? ANONYMOUS_OWNER;
}
