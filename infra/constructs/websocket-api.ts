// The WebSocket API: routes on `$request.body.action`, each a Lambda integration, and a stage
// with access logs, execution errors logged and throttling (plus, unless told otherwise, the
// account's API Gateway logging role that stage logs need).
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { WebSocketApi, WebSocketStage, CfnStage, type IWebSocketRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
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
  redrive: IFunction;
  schedule?: IFunction;
  unschedule?: IFunction;
  schedules?: IFunction;
}

export interface CrawlerApiProps {
  stageName: string;
  logRetention: RetentionDays;
  /**
   * Set the region's API Gateway account setting (the role API Gateway writes logs with). Without
   * it, a stage with access or execution logging fails to deploy ("CloudWatch Logs role ARN must
   * be set in account settings to enable logging").
   */
  accountLoggingRole: boolean;
}

export class CrawlerApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  /** the account-level logging role, when this stack sets it */
  readonly loggingRole?: Role;

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
    if (props.accountLoggingRole) {
      // One setting per account and region, shared by every REST and WebSocket API there. The role
      // is retained on `cdk destroy`: other APIs of the account may be logging through it by then.
      this.loggingRole = new Role(this, 'ApiGatewayLoggingRole', {
        assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
        managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
        description: 'API Gateway account setting: lets API Gateway write access and execution logs to CloudWatch Logs',
      });
      this.loggingRole.applyRemovalPolicy(RemovalPolicy.RETAIN);
      // Order: API → account setting → stage. The setting comes after its role (it reads the role's
      // ARN) and after an API Gateway resource: in an account that never had one, CloudFormation
      // fails AWS::ApiGateway::Account without that dependency (AWS's documented known issue; CDK's
      // RestApi does the same). The stage comes after the setting, since logging needs the role.
      const account = new CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: this.loggingRole.roleArn });
      account.node.addDependency(this.api);
      this.stage.node.addDependency(account);
    }
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    // Execution logs (loggingLevel ERROR below) go to a group API Gateway creates on its first
    // write, named after the API and stage, with no retention: created here first, with the
    // stack's, the stage after it. (A stack deployed before this group was declared may already have
    // it from API Gateway: delete that group once, and the next deploy creates it with a retention.)
    const executionLogs = new LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.apiId}/${props.stageName}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage.node.addDependency(executionLogs);
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
    this.api.addRoute('redrive', { integration: integration('Redrive', routes.redrive) });
    if (routes.schedule) this.api.addRoute('schedule', { integration: integration('Schedule', routes.schedule) });
    if (routes.unschedule) this.api.addRoute('unschedule', { integration: integration('Unschedule', routes.unschedule) });
    if (routes.schedules) this.api.addRoute('schedules', { integration: integration('Schedules', routes.schedules) });
  }
}
