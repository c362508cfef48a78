// The Lambda functions: one NodejsFunction per handler file, bundled locally by esbuild (no
// Docker), each with its own log group and retention.
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Code, LayerVersion, Runtime, type ILayerVersion, type RecursiveLoop } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Current Node.js runtime for every function (Node 20 is past its end of life). */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

/** Layers are unpacked into /opt: that is where the Chromium binaries are. */
export const CHROMIUM_LAYER_DIR = '/opt';

export interface CrawlerFunctionProps {
  handler: 'connect' | 'disconnect' | 'default' | 'crawl' | 'status' | 'cancel' | 'redrive' | 'worker' | 'sweep' | 'authorize' | 'heartbeat' | 'finish' | 'webhook' | 'schedule' | 'unschedule' | 'schedules' | 'schedule-run';
  environment: Record<string, string>;
  logRetention: RetentionDays;
  memorySize?: number;
  timeout?: Duration;
  layers?: ILayerVersion[];
  /** Lambda's recursive-loop detection; unset = its default (Terminate) */
  recursiveLoop?: RecursiveLoop;
  description: string;
}

export class CrawlerFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: CrawlerFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    super(scope, id, {
      entry: `${root}functions/handlers/${props.handler}.ts`,
      handler: 'handler',
      projectRoot: root,
      depsLockFilePath: `${root}package-lock.json`,
      runtime: FUNCTION_RUNTIME,
      // The npm build of @sparticuz/chromium ships an x86_64 binary only.
      architecture: Architecture.X86_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(15),
      description: props.description,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'crawler',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        // The bundle is minified; logged stack traces point into the sources through its map.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      logGroup,
      layers: props.layers,
      recursiveLoop: props.recursiveLoop,
      bundling: {
        // CommonJS: dependencies that call require() at run time work as they are (ESM output would
        // need a createRequire banner), and no handler uses top-level await or import.meta.
        format: OutputFormat.CJS,
        target: 'node24',
        minify: true,
        sourceMap: true,
        // The SDK version is pinned by our lock file, not by whatever the runtime ships.
        externalModules: [],
        // Optional native speed-ups of `ws` (used by puppeteer-core); absent is fine.
        // import.meta is read only when running from the sources (extractor-threads.ts: where the
        // extractors' thread code is); bundled, the bundle is that code.
        esbuildArgs: { '--external:bufferutil': true, '--external:utf-8-validate': true, '--log-override:empty-import-meta': 'silent' },
      },
    });
  }
}

/**
 * Chromium as a layer holding @sparticuz/chromium's compressed binaries; its JavaScript is bundled
 * with the crawler, which is told where the binaries are by CHROMIUM_BIN_DIR (/opt).
 * Why a layer rather than `bundling.nodeModules: ['@sparticuz/chromium']`: nodeModules makes CDK run
 * `npm ci` in the bundle folder at every synth, which needs the registry or a warm npm cache; the
 * layer is copied from the installed package, so synth works offline. It is also a separate asset,
 * so a code-only deploy does not upload ~60 MB of Chromium again, and the size test can see the two
 * parts (code + layer) against Lambda's 250 MB unzipped limit.
 */
export function chromiumLayer(scope: Construct): LayerVersion {
  return new LayerVersion(scope, 'ChromiumLayer', {
    code: Code.fromAsset(`${root}node_modules/@sparticuz/chromium/bin`),
    compatibleArchitectures: [Architecture.X86_64],
    compatibleRuntimes: [FUNCTION_RUNTIME],
    description: '@sparticuz/chromium binaries (brotli), extracted to /tmp at first use',
    removalPolicy: RemovalPolicy.DESTROY,
  });
}
