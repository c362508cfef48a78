// The console of the local stack: ConsoleState on SDK clients pointed at the emulators.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type Resources } from '../provision.js';
import { consoleHttpHandler, type HttpHandler } from './http.js';
import { ConsoleState } from './state.js';

export interface LocalConsole {
  handler: HttpHandler;
  close(): void;
}

export function localConsole(endpoints: { dynamodb: string; sqs: string; s3: string }, resources: Resources, log: (line: string) => void): LocalConsole {
  const base = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const clients = {
    dynamodb: new DynamoDBClient({ ...base, endpoint: endpoints.dynamodb }),
    sqs: new SQSClient({ ...base, endpoint: endpoints.sqs }),
    s3: new S3Client({ ...base, endpoint: endpoints.s3, forcePathStyle: true }),
  };
  return {
    handler: consoleHttpHandler(new ConsoleState(clients, resources), log),
    close() {
      clients.dynamodb.destroy();
      clients.sqs.destroy();
      clients.s3.destroy();
    },
  };
}
