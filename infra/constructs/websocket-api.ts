// The WebSocket API: routes on `$request.body.action`, each a Lambda integration, and a stage
// with access logs.
import { WebSocketApi, WebSocketStage, CfnStage, type IWebSocketRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface WebSocketRoutes {
  connect: IFunction;
  disconnect: IFunction;
  default: IFunction;
  crawl: IFunction;
  status: IFunction;
  cancel: IFunction;
}

export interface CrawlerApiProps {
  stageName: string;
  logRetention: RetentionDays;
  connectAuthorizer?: IWebSocketRouteAuthorizer;
}

export class CrawlerApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;

  constructor(scope: Construct, id: string, props: CrawlerApiProps) {
    super(scope, id);
    this.api = new WebSocketApi(this, 'Api', {
      apiName: 'crawler',
      description: 'Submit crawls and receive progress and completion messages',
      routeSelectionExpression: '$request.body.action',
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName,
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    (this.stage.node.defaultChild as CfnStage).accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        connectionId: '$context.connectionId',
        routeKey: '$context.routeKey',
        eventType: '$context.eventType',
        status: '$context.status',
        integrationError: '$context.integrationErrorMessage',
        requestTime: '$context.requestTimeEpoch',
      }),
    };
    (this.stage.node.defaultChild as CfnStage).defaultRouteSettings = {
      dataTraceEnabled: false,
      loggingLevel: 'ERROR',
      throttlingRateLimit: 50,
      throttlingBurstLimit: 100,
    };
  }

  addRoutes(routes: WebSocketRoutes, authorizer?: IWebSocketRouteAuthorizer): void {
    const integration = (name: string, fn: IFunction) => new WebSocketLambdaIntegration(`${name}Integration`, fn);
    this.api.addRoute('$connect', { integration: integration('Connect', routes.connect), ...(authorizer ? { authorizer } : {}) });
    this.api.addRoute('$disconnect', { integration: integration('Disconnect', routes.disconnect) });
    this.api.addRoute('$default', { integration: integration('Default', routes.default) });
    this.api.addRoute('crawl', { integration: integration('Crawl', routes.crawl) });
    this.api.addRoute('status', { integration: integration('Status', routes.status) });
    this.api.addRoute('cancel', { integration: integration('Cancel', routes.cancel) });
  }
}
