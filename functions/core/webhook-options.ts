// The `webhook` a client may give on `crawl` and on `schedule` (DESIGN.md, "Contract, third part"):
// where the Standard Webhooks deliveries of a job go, signed with the client's `whsec_` secret.
// Shared by both messages so a schedule's runs call the same receiver a crawl would.
import { z } from 'zod';

export const WEBHOOK_EVENTS = ['completed', 'failed', 'page'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
/** what a webhook without `events` is sent: the end of the job, whichever way it ended */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEvent[] = ['completed', 'failed'];

export const webhookSchema = z.strictObject({
  url: z
    .string({ error: 'webhook.url is required and must be a string' })
    .max(2048)
    .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), { error: 'must be an http(s) URL' }),
  /** the Standard Webhooks secret: `whsec_` and the base64 of 24–64 random bytes */
  secret: z
    .string({ error: 'webhook.secret is required and must be a string' })
    .regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, { error: 'must be a Standard Webhooks secret: whsec_ followed by base64 (24–64 bytes)' }),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length).optional(),
});

export type WebhookOptions = z.infer<typeof webhookSchema>;
