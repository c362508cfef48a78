// The CDK app: `npx cdk synth` / `npx cdk deploy` (cdk.json runs it with tsx). Settings come from
// context (see settings.ts and the README).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { skipCliVersionCheck } from './cli-version-check.js';
import { acknowledgeFindings } from './nag-acknowledgements.js';
import { CrawlerStack } from './crawler-stack.js';
import { readSettings } from './settings.js';

export function buildApp(app = new App(), options: { acknowledge?: boolean } = {}): { app: App; stack: CrawlerStack } {
  const stack = new CrawlerStack(app, app.node.tryGetContext('stackName') ?? 'Crawler', {
    settings: readSettings(app.node),
    description: 'Serverless fan-out web crawler (WebSocket API, SQS, Lambda + Chromium, DynamoDB, S3)',
  });
  // cdk-nag 3.x: findings fail the synth unless acknowledged (with a reason) in nag-acknowledgements.ts.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  if (options.acknowledge !== false) acknowledgeFindings(stack, stack.nagResources);
  return { app, stack };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  skipCliVersionCheck();
  buildApp().app.synth();
}
