// A Standard Webhooks delivery: the body signed by the `standardwebhooks` package (the spec's
// reference code: `v1,` + base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` with the
// secret's key), POSTed through the address guard. The secret goes into the signature and nowhere
// else: not in a header, an error or a log line.
import { Webhook } from 'standardwebhooks';
import type { RequestGuard } from '../browser/request-guard.js';
import type { WebhookSender } from '../../core/webhook.js';
import { guardedPost } from './guarded-fetch.js';

export class HttpWebhookSender implements WebhookSender {
  constructor(private readonly options: { guard?: RequestGuard; timeoutMs: number; userAgent: string }) {}

  async post(target: { url: string; secret: string }, message: { webhookId: string; body: string }, timestamp: Date): Promise<{ status: number | null; error?: string }> {
    const signature = new Webhook(target.secret).sign(message.webhookId, timestamp, message.body);
    return guardedPost(target.url, message.body, {
      guard: this.options.guard,
      timeoutMs: this.options.timeoutMs,
      headers: {
        'content-type': 'application/json',
        'user-agent': this.options.userAgent,
        'webhook-id': message.webhookId,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': signature,
      },
    });
  }
}
