// A queue message's body as its consumer's schema reads it. Retrying cannot fix a malformed
// message (not JSON, or not the schema's shape), so each consumer drops it, logged its own way:
// null says so.
import type { SQSRecord } from 'aws-lambda';
import type { z } from 'zod';

export function messageOf<S extends z.ZodType>(record: SQSRecord, schema: S): z.infer<S> | null {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    return null;
  }
  const parsed = schema.safeParse(body);
  return parsed.success ? (parsed.data as z.infer<S>) : null;
}
