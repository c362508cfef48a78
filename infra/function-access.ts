// What each function may do, action by action, on each table, index, queue, bucket prefix and API:
// exactly the calls its code makes (functions/handlers/* → functions/app/* → functions/adapters/*),
// nothing that a managed grant (grantReadWriteData, grantRead…) would add besides. A renderer
// exploit in the crawler gets this role's credentials through the metadata of the function (not
// Chromium's environment, issue #28), so what is not listed here is what it cannot do: no Scan, no
// DeleteItem, no BatchWriteItem, no object deleted, no other queue, no connection closed.
//
// How the calls map to IAM actions (DynamoDB, S3, API Gateway authorization references):
// - TransactWriteItems is authorized per item: Put → PutItem, Update → UpdateItem, ConditionCheck →
//   ConditionCheckItem, on each item's table; BatchGetItem and BatchWriteItem are actions of their own.
// - A Query on an index is authorized on the index's ARN (<table>/index/<name>), not the table's.
// - S3: CopyObject is GetObject on the source and PutObject on the copy; a multipart upload
//   (lib-storage's Upload, the resumable WACZ) is PutObject, and AbortMultipartUpload when it gives
//   up; a presigned GET works only while its signer may GetObject. GetObject of a missing key
//   answers NoSuchKey only to a role that may ListBucket (else AccessDenied): the functions whose
//   code reads keys that may be absent and expects NoSuchKey hold it.
// - SendMessageBatch is sqs:SendMessage. A queue a function consumes through its event source gets
//   the consume actions from CDK's SqsEventSource (the Lambda service polls with the function's role).
// - PostToConnection is execute-api:ManageConnections on <api>/<stage>/POST/@connections/*: no
//   function reads (GET) or closes (DELETE) a connection.
//
// Where another branch adds a call, it adds the action here and in EXPECTED of
// test/infra/least-privilege.test.ts, which states the same table independently.

export type DynamoAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem' | 'ConditionCheckItem';
export type SqsAction = 'SendMessage' | 'ChangeMessageVisibility';
export type ObjectAction = 'GetObject' | 'PutObject' | 'AbortMultipartUpload';
export type SchedulerAction = 'CreateSchedule' | 'DeleteSchedule';

export interface FunctionAccess {
  /** the jobs table: jobs, their counter shards, cache entries, host-rate slots, finish checkpoints */
  jobs?: DynamoAction[];
  /** the jobs table's sparse index of open jobs (UNFINISHED_INDEX) */
  jobsOpenIndex?: DynamoAction[];
  /** the frontier table: a job's URLs, capped markers, archive digests and byte budget */
  frontier?: DynamoAction[];
  /** the connections table: a connection and its running-job slots */
  connections?: DynamoAction[];
  /** the secrets table: a running job's seed credentials (no point-in-time recovery), deleted when it stops running */
  secrets?: DynamoAction[];
  /** sent or re-timed by the code (consuming comes with the event source) */
  crawlQueue?: SqsAction[];
  heartbeatQueue?: SqsAction[];
  finishQueue?: SqsAction[];
  /** webhook delivery attempts (functions/app/webhook-delivery.ts) */
  webhookQueue?: SqsAction[];
  /** objects under jobs/ of the results bucket (pages, manifests, exports, archives) */
  jobObjects?: ObjectAction[];
  /** objects under finisher/ (a WACZ's index parts while it is written) */
  finisherObjects?: ObjectAction[];
  /** s3:ListBucket on the results bucket: a missing key read answers NoSuchKey */
  listResults?: boolean;
  /** PostToConnection on this stage */
  postToConnections?: boolean;
  /** secretsmanager:GetSecretValue of the connection token */
  readToken?: boolean;
  /** secretsmanager:GetSecretValue of the upstream proxies' secret (setting upstreamProxiesSecret; none: no grant) */
  readUpstreamProxies?: boolean;
  /** EventBridge Scheduler actions on the schedules of the stack's group (schedule/<group>/*) */
  schedules?: SchedulerAction[];
  /** iam:PassRole of the scheduler's role (a schedule made names it as the role that invokes its target) */
  passSchedulerRole?: boolean;
}

/** keys: the construct ids of the functions in infra/crawler-stack.ts */
export type FunctionId =
  | 'ConnectFunction'
  | 'DisconnectFunction'
  | 'DefaultFunction'
  | 'CrawlFunction'
  | 'StatusFunction'
  | 'CancelFunction'
  | 'RedriveFunction'
  | 'CrawlerFunction'
  | 'SweepFunction'
  | 'HeartbeatFunction'
  | 'FinisherFunction'
  | 'WebhookFunction'
  | 'AuthorizeFunction'
  | 'ScheduleFunction'
  | 'UnscheduleFunction'
  | 'SchedulesFunction'
  | 'ScheduleRunFunction';

/**
 * Reading a job (JobStore.getJob) is its item and its counter shards: GetItem + BatchGetItem.
 * Ending a job is done by its finisher; the others only begin the end (UpdateItem; ConditionCheckItem
 * on the shards when the end is decided on the counts) and ask the finisher (finish queue).
 */
export const FUNCTION_ACCESS: Record<FunctionId, FunctionAccess> = {
  // $connect: the connection item (connection-store open)
  ConnectFunction: { connections: ['PutItem'] },
  // $disconnect: the only DeleteItem of the stack outside the secrets table (connection-store close)
  DisconnectFunction: { connections: ['DeleteItem'] },
  DefaultFunction: { postToConnections: true },
  // crawl: creates a job (one transaction: job item + shards, seed, a connection slot); reuse by
  // maxAge reads cache entries and the cached job's item, and answers an equal depth with its
  // presigned manifest; a job cut from a deeper cached crawl or built upon a shallower one is
  // created marked and made by the finisher's function (no frontier listing, no object written
  // here); a seed that cannot be queued begins the job's end; an already settled job ends by transaction.
  CrawlFunction: {
    jobs: ['BatchGetItem', 'ConditionCheckItem', 'GetItem', 'PutItem', 'UpdateItem'],
    // the credentials put with the job; deleted when a job whose seed could not be queued ends there
    secrets: ['DeleteItem', 'PutItem'],
    frontier: ['PutItem'],
    connections: ['UpdateItem'],
    crawlQueue: ['SendMessage'],
    heartbeatQueue: ['SendMessage'],
    finishQueue: ['SendMessage'],
    // presigned manifest and export URLs of a cached answer
    jobObjects: ['GetObject'],
    // the end of a job answered from the cache at once, delivered to its webhook (the receiver and
    // secret put in the secrets table with the job, deleted when a quota refuses the job)
    webhookQueue: ['SendMessage'],
    postToConnections: true,
  },
  // status: reads the job; moves a running job's notifications to the asking connection (updates
  // of the job and of the two connections' slots); presigns the manifest
  StatusFunction: { jobs: ['BatchGetItem', 'GetItem', 'UpdateItem'], connections: ['UpdateItem'], jobObjects: ['GetObject'], postToConnections: true },
  // cancel: reads the job, begins its end (forced: one update), asks the finisher; its answer may
  // presign a manifest the finisher already wrote
  CancelFunction: { jobs: ['BatchGetItem', 'GetItem', 'UpdateItem'], secrets: ['DeleteItem'], finishQueue: ['SendMessage'], jobObjects: ['GetObject'], postToConnections: true },
  // redrive: reads the job, reopens it from its counters (job update, a connection slot, the
  // client's quota: one transaction), starts its heartbeat and asks the finisher's function to put
  // its failed URLs back; ends the run if it cannot ask. No frontier: the listing is not done here.
  RedriveFunction: {
    jobs: ['BatchGetItem', 'GetItem', 'UpdateItem'],
    connections: ['UpdateItem'],
    heartbeatQueue: ['SendMessage'],
    finishQueue: ['SendMessage'],
    postToConnections: true,
  },

  // crawler: claims, admits, caps, settles and releases URLs; reads a job's settings and counters,
  // host-rate slots (jobs table), archive digests and byte budget (frontier table); lowers a URL's
  // depth (transaction with a check of the job); ends a settled job (transaction with shard
  // checks); completes the `completed` of a job already final (slot freed, notification claimed,
  // manifest presigned). Pages and their files under jobs/; a stored page read on a retry may be
  // absent. Re-times the messages it received (retry backoff).
  CrawlerFunction: {
    jobs: ['BatchGetItem', 'ConditionCheckItem', 'GetItem', 'UpdateItem'],
    // a running job's credentials read for each page; deleted when the crawler stops the job
    secrets: ['DeleteItem', 'GetItem'],
    frontier: ['BatchGetItem', 'GetItem', 'PutItem', 'UpdateItem'],
    connections: ['UpdateItem'],
    crawlQueue: ['ChangeMessageVisibility', 'SendMessage'],
    finishQueue: ['SendMessage'],
    jobObjects: ['GetObject', 'PutObject'],
    listResults: true,
    postToConnections: true,
    // the stack's upstream proxies (adapters/upstream-proxies.ts), when the stack names their secret
    readUpstreamProxies: true,
  },
  // sweep: the only function that lists jobs, by a Query of the open-jobs index (no Scan); reads
  // them with their shards, begins the end of the ones past their time (forced update), asks the
  // finisher again, completes the `completed` of final ones (slot, notification, presigned URLs)
  SweepFunction: {
    jobs: ['BatchGetItem', 'UpdateItem'],
    jobsOpenIndex: ['Query'],
    connections: ['UpdateItem'],
    secrets: ['DeleteItem'],
    finishQueue: ['SendMessage'],
    jobObjects: ['GetObject'],
    postToConnections: true,
  },
  // heartbeat: reads a running job, claims its progress slot (an update), schedules the next one
  HeartbeatFunction: { jobs: ['BatchGetItem', 'GetItem', 'UpdateItem'], heartbeatQueue: ['SendMessage'], postToConnections: true },
  // finisher: its lease and checkpoint (jobs table), the frontier streamed for the manifest (Query),
  // the exports and the WACZ (multipart, reading pages and WARCs that may be missing), the final
  // state with the cache entry (put), the slot, the notification. The routes' heavy work
  // (app/redrive-run.ts, reuse-run.ts): a redrive's failed items put back (transactions of
  // updates) and queued; a job built upon a cached crawl (its frontier by BatchWriteItem of puts,
  // pages copied, its URLs queued, or an answer cut from a deeper one); a job so made with nothing
  // left to crawl begins its end (the transaction that checks its counter shards); a run that
  // cannot go on asks for its finish. A `since` crawl's change report: the earlier job's frontier
  // (Query) and which of its URLs this job holds (BatchGetItem).
  FinisherFunction: {
    jobs: ['BatchGetItem', 'ConditionCheckItem', 'GetItem', 'PutItem', 'UpdateItem'],
    frontier: ['BatchGetItem', 'BatchWriteItem', 'Query', 'UpdateItem'],
    connections: ['UpdateItem'],
    crawlQueue: ['SendMessage'],
    finishQueue: ['SendMessage'],
    // the job's end queued for its webhook once the manifest is written
    webhookQueue: ['SendMessage'],
    // the credentials' delete in the transaction that makes the job final
    secrets: ['DeleteItem'],
    jobObjects: ['AbortMultipartUpload', 'GetObject', 'PutObject'],
    finisherObjects: ['GetObject', 'PutObject'],
    listResults: true,
    postToConnections: true,
  },
  // webhook: reads where a job's delivery stands and records it (job item: get, update), reads the
  // receiver and its secret (secrets table), sends the next attempt; nothing else of the job
  WebhookFunction: { jobs: ['GetItem', 'UpdateItem'], secrets: ['GetItem'], webhookQueue: ['SendMessage'] },
  // the $connect authorizer: the token, nothing else
  AuthorizeFunction: { readToken: true },

  // schedule: the schedule's item and the owner's list and count (one transaction: put + update),
  // then its EventBridge schedule, which names the scheduler's role; a schedule whose timer could
  // not be made is marked removed again (updates; GetItem when that finds it changed)
  ScheduleFunction: { jobs: ['GetItem', 'PutItem', 'UpdateItem'], schedules: ['CreateSchedule'], passSchedulerRole: true, postToConnections: true },
  // unschedule: marks the item removed and takes it off the owner's list (updates; GetItem to tell
  // another client's from one removed already), then deletes its EventBridge schedule. No DeleteItem:
  // the removed item expires (TTL).
  UnscheduleFunction: { jobs: ['GetItem', 'UpdateItem'], schedules: ['DeleteSchedule'], postToConnections: true },
  // schedules: the owner's list item, then its schedules (BatchGetItem)
  SchedulesFunction: { jobs: ['BatchGetItem', 'GetItem'], postToConnections: true },
  // schedule-run, the target of every schedule: reads the schedule and the previous run's job,
  // claims the firing (update), and submits the run exactly as the crawl route submits a crawl
  // (app/submit-crawl.ts), so it holds the crawl route's access, and nothing of the scheduler.
  ScheduleRunFunction: {
    jobs: ['BatchGetItem', 'ConditionCheckItem', 'GetItem', 'PutItem', 'UpdateItem'],
    secrets: ['DeleteItem', 'PutItem'],
    frontier: ['PutItem', 'Query'],
    connections: ['UpdateItem'],
    crawlQueue: ['SendMessage'],
    heartbeatQueue: ['SendMessage'],
    finishQueue: ['SendMessage'],
    jobObjects: ['AbortMultipartUpload', 'GetObject', 'PutObject'],
    finisherObjects: ['GetObject', 'PutObject'],
    listResults: true,
    postToConnections: true,
  },
};
