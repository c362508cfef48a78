// An SQS → Lambda event source mapping, faithful where correctness depends on it: batches of up
// to `batchSize`, messages invisible while in flight, only the successes deleted
// (`batchItemFailures` come back when their visibility ends: after the visibility timeout, or
// sooner when the function changed it, as the crawler does for its backoff; like Lambda, this
// never touches a failed message's visibility), a failed invocation deletes nothing, and the
// queue's redrive policy moves a message to the DLQ after maxReceiveCount.
import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import type { Invoker } from './invoker.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './provision.js';

export interface EventSourceOptions {
  sqsEndpoint: string;
  queueUrl: string;
  queueArn: string;
  createInvoker: (index: number) => Invoker;
  batchSize: number;
  /** concurrent pollers, each with its own execution environment */
  concurrency: number;
  /** deliver every message twice (the copy is a second message with the same body) */
  duplicateDelivery?: boolean;
  log: (line: string) => void;
}

export interface EventSource {
  stop(): Promise<void>;
  /** invocation statistics of every execution environment */
  invocations(): { cold: boolean; ms: number; ok: boolean }[];
  /** invocations in progress right now */
  inFlight(): number;
  /** invokes every execution environment with an empty batch, so each has imported its code (the bench's warm-up) */
  warm(): Promise<void>;
}

const COPY_ATTRIBUTE = 'localDuplicateOf';

function toEvent(messages: Message[], queueArn: string): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId ?? randomUUID(),
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: m.Attributes?.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([name, value]) => [
          name,
          { stringValue: value.StringValue, dataType: value.DataType ?? 'String', stringListValues: [], binaryListValues: [] },
        ]),
      ),
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: LOCAL_REGION,
    })),
  };
}

/** The ids to keep; null when the response is malformed (Lambda then treats the batch as failed). */
function failedIds(response: unknown, batch: Message[]): Set<string> | null {
  if (response === null || response === undefined) return new Set();
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined) return new Set();
  if (!Array.isArray(failures)) return null;
  const ids = new Set<string>();
  const known = new Set(batch.map((m) => m.MessageId));
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown })?.itemIdentifier;
    if (typeof id !== 'string' || !known.has(id)) return null;
    ids.add(id);
  }
  return ids;
}

export function startEventSource(options: EventSourceOptions): EventSource {
  const sqs = new SQSClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: options.sqsEndpoint });
  let stopped = false;
  let inFlight = 0;
  const invokers = Array.from({ length: options.concurrency }, (_, i) => options.createInvoker(i));

  const duplicate = async (messages: Message[]) => {
    const originals = messages.filter((m) => !m.MessageAttributes?.[COPY_ATTRIBUTE]);
    if (originals.length === 0) return;
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: originals.map((m, i) => ({
          Id: String(i),
          MessageBody: m.Body ?? '',
          MessageAttributes: { [COPY_ATTRIBUTE]: { DataType: 'String', StringValue: m.MessageId ?? '' } },
        })),
      }),
    );
  };

  const poll = async (invoker: Invoker, index: number) => {
    while (!stopped) {
      let messages: Message[];
      try {
        const received = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: options.batchSize,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        messages = received.Messages ?? [];
      } catch (error) {
        if (!stopped) options.log(`[event-source] receive failed: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      if (messages.length === 0) continue;
      if (options.duplicateDelivery) await duplicate(messages).catch((e) => options.log(`[event-source] duplicate failed: ${e}`));
      inFlight++;
      try {
        const response = await invoker.invoke(toEvent(messages, options.queueArn));
        const failed = failedIds(response, messages);
        if (failed === null) {
          options.log(`[event-source] poller ${index}: malformed batch response; the whole batch will be retried`);
          continue;
        }
        const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
        if (failed.size > 0) options.log(`[event-source] poller ${index}: ${failed.size} of ${messages.length} message(s) failed; they come back when their visibility ends`);
        if (done.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: options.queueUrl,
              Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
            }),
          );
        }
      } catch (error) {
        options.log(`[event-source] poller ${index}: invocation failed (${(error as Error).message}); ${messages.length} message(s) come back after the visibility timeout`);
      } finally {
        inFlight--;
      }
    }
  };

  const loops = invokers.map((invoker, index) => poll(invoker, index));
  return {
    invocations: () => invokers.flatMap((invoker) => invoker.stats ?? []),
    async warm() {
      await Promise.all(invokers.map((invoker) => invoker.invoke({ Records: [] }).catch((e) => options.log(`[event-source] warm-up invocation failed: ${(e as Error).message}`))));
    },
    inFlight: () => inFlight,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      await Promise.all(invokers.map((invoker) => invoker.close()));
      sqs.destroy();
    },
  };
}
