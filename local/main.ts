// `npm start`: the local stack in the foreground until Ctrl-C.
import { startLocalStack } from './stack.js';

const port = Number(process.env.PORT ?? 8080);
const stack = await startLocalStack({
  port,
  workers: Number(process.env.WORKERS ?? 2),
  batchSize: Number(process.env.BATCH_SIZE ?? 5),
  dataDir: process.env.DATA_DIR,
  authToken: process.env.AUTH_TOKEN || undefined,
});

console.log(`
Local crawler stack is up.
  console     ${stack.consoleUrl}   (open it in a browser: jobs, queues, pages)
  WebSocket   ${stack.wsUrl}
  try it      npx wscat -c ${stack.wsUrl}${process.env.AUTH_TOKEN ? '/?token=$AUTH_TOKEN' : ''}
              > {"action":"crawl","url":"http://127.0.0.1:8000/","depth":1}
  DynamoDB    ${stack.endpoints.dynamodb}   (tables ${stack.resources.jobsTable}, ${stack.resources.frontierTable})
  SQS / S3    ${stack.endpoints.sqs}   (queue ${stack.resources.queueUrl}, bucket ${stack.resources.bucket})
Ctrl-C stops it.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log('\nstopping…');
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
