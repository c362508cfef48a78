// The four tables and the results bucket (with its access-log bucket).
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption, ProjectionType } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { TABLES, TTL_ATTRIBUTE, type TableDefinition } from '../../functions/adapters/dynamodb/table-definitions.js';

export interface StorageProps {
  /** days after which S3 deletes a result object (the lifecycle rule rounds up to the next midnight UTC) */
  resultsExpirationDays: number;
}

export class Storage extends Construct {
  readonly jobs: Table;
  readonly frontier: Table;
  readonly connections: Table;
  /** seed credentials of running jobs: no point-in-time recovery (functions/adapters/dynamodb/job-secrets.ts) */
  readonly secrets: Table;
  readonly results: Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const table = (name: string, keys: TableDefinition, pointInTimeRecoveryEnabled = true) =>
      new Table(this, name, {
        partitionKey: { name: keys.partitionKey, type: AttributeType.STRING },
        ...(keys.sortKey ? { sortKey: { name: keys.sortKey, type: AttributeType.STRING } } : {}),
        billingMode: BillingMode.PAY_PER_REQUEST,
        timeToLiveAttribute: TTL_ATTRIBUTE,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled },
        encryption: TableEncryption.AWS_MANAGED,
        removalPolicy: RemovalPolicy.DESTROY,
      });
    this.jobs = table('Jobs', TABLES.jobs);
    for (const index of TABLES.jobs.indexes) {
      // keys only: the sweeper reads the jobs it finds with consistent reads
      this.jobs.addGlobalSecondaryIndex({ indexName: index.name, partitionKey: { name: index.partitionKey, type: AttributeType.STRING }, projectionType: ProjectionType.KEYS_ONLY });
    }
    this.frontier = table('Frontier', TABLES.frontier);
    this.connections = table('Connections', TABLES.connections);
    // Point-in-time recovery keeps every value an item held restorable for 35 days: a client's
    // session cookie or API key must not outlive its job so. Its items are deleted when the job
    // stops running; what they hold is then gone for good.
    this.secrets = table('Secrets', TABLES.secrets, false);

    const accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // No ACLs here either: S3 delivers access logs under a bucket policy
      // (@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy in cdk.json).
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    this.results = new Bucket(this, 'Results', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'results/',
      lifecycleRules: [{ id: 'expire-results', expiration: Duration.days(props.resultsExpirationDays), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
  }
}
