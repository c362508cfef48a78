// `npm run preflight [-- -c crawlerMaxConcurrency=20 …]`: before `cdk deploy`, reads the Lambda
// concurrency of the account and region of the shell's credentials and says whether the stack's
// settings (cdk.json, cdk.context.json and -c, as the CDK CLI reads them) leave room for the routes
// and the authorizer beside a busy crawler. Exit 0: fits (warnings included); 1: it would not;
// 2: the account could not be read. Read-only: one lambda:GetAccountSettings call. The decision is
// in preflight-check.ts; this file only reads and prints. Never run by the tests (it calls AWS).
import { existsSync, readFileSync } from 'node:fs';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { checkConcurrency, contextFromArgs, exitCodeOf, VERDICT } from './preflight-check.js';
import { readSettings } from './settings.js';

const root = new URL('../', import.meta.url);

function readContext(args: readonly string[]): Record<string, unknown> {
  const fileContext = (name: string): Record<string, unknown> => {
    const file = new URL(name, root);
    if (!existsSync(file)) return {};
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    // cdk.json keeps context under "context"; cdk.context.json is the context itself.
    return name === 'cdk.json' ? ((json.context as Record<string, unknown> | undefined) ?? {}) : json;
  };
  return { ...fileContext('cdk.json'), ...fileContext('cdk.context.json'), ...contextFromArgs(args) };
}

async function main(): Promise<number> {
  const context = readContext(process.argv.slice(2));
  const settings = readSettings({ tryGetContext: (key: string) => context[key] });

  const lambda = new LambdaClient({});
  let region: string;
  let limit: number | undefined;
  let unreserved: number | undefined;
  try {
    region = await lambda.config.region();
    const { AccountLimit } = await lambda.send(new GetAccountSettingsCommand({}));
    limit = AccountLimit?.ConcurrentExecutions;
    unreserved = AccountLimit?.UnreservedConcurrentExecutions;
  } catch (error) {
    console.error(`preflight: could not read the account's Lambda settings (credentials and region as for cdk deploy): ${(error as Error).message}`);
    return 2;
  } finally {
    lambda.destroy();
  }
  if (limit === undefined || unreserved === undefined) {
    console.error('preflight: GetAccountSettings answered without AccountLimit.ConcurrentExecutions / UnreservedConcurrentExecutions');
    return 2;
  }

  const verdict = checkConcurrency({ limit, unreserved }, settings.crawlerMaxConcurrency);
  console.log(`Lambda in ${region}: quota ${limit} concurrent executions, ${unreserved} unreserved; crawlerMaxConcurrency ${settings.crawlerMaxConcurrency}.`);
  for (const message of verdict.messages) console.log(`- ${message}`);
  const label = { [VERDICT.ok]: 'OK', [VERDICT.warn]: 'OK, with warnings', [VERDICT.fail]: 'NOT READY' }[verdict.status];
  console.log(`${label}.`);
  if (verdict.status !== VERDICT.fail) {
    console.log(`To have every synth check this too: -c accountConcurrency=${unreserved} (or set it in cdk.json).`);
  }
  return exitCodeOf(verdict);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Bad settings or arguments: the same messages the synth gives.
    console.error(`preflight: ${(error as Error).message}`);
    process.exitCode = 2;
  },
);
