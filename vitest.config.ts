import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/support/sequencer.js';

/**
 * Files outside test/e2e that start Chromium. Everything else (unit, infra, the emulator-backed
 * integration files) is `npm run test:quick`; `npm test` runs both projects.
 */
const BROWSER_FILES = [
  'test/integration/archive-caps.test.ts',
  'test/integration/archive-capture.test.ts',
  'test/integration/archive-downloads.test.ts',
  'test/integration/archive-https-replay.test.ts',
  'test/integration/archive-replay.test.ts',
  'test/integration/browser-consent.test.ts',
  'test/integration/browser-contexts.test.ts',
  'test/integration/browser-documents.test.ts',
  'test/integration/browser-credential-origins.test.ts',
  'test/integration/browser-egress-renderer.test.ts',
  'test/integration/browser-environment.test.ts',
  'test/integration/browser-job-isolation.test.ts',
  'test/integration/browser-page-behaviours.test.ts',
  'test/integration/browser-poison.test.ts',
  'test/integration/browser-renderer.test.ts',
  'test/integration/browser-settle.test.ts',
  'test/integration/browser-upstream-contexts.test.ts',
  'test/integration/browser-ssrf.test.ts',
  'test/integration/content-products.test.ts',
  'test/integration/depth-relink.test.ts',
  'test/integration/extractors.test.ts',
  'test/integration/job-item-writes.test.ts',
  'test/integration/lost-work.test.ts',
  'test/infra/stack-synth.test.ts',
];

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    sequence: { sequencer: LongestFirstSequencer },
    // Two files a core. An end-to-end file spends most of its time waiting (visibility timeouts,
    // leases, host slots, a site that answers slowly): with one file a core the machine was 46% busy
    // over a whole run (2 cores, 10.4 min); with two, 70% (7.1 min). Its timeouts come from a
    // calibration run in its own process at its start, under whatever else is running then.
    fileParallelism: true,
    maxWorkers: 2 * availableParallelism(),
    // Backstops only: end-to-end tests wait for what they expect within timeouts derived from a
    // calibration of this machine (test/e2e/support/machine.ts), and fail there with a message.
    testTimeout: 1_800_000,
    hookTimeout: 900_000,
    reporters: ['default'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        test: { name: 'quick', include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts', 'test/integration/**/*.test.ts'], exclude: BROWSER_FILES },
      },
      { extends: true, test: { name: 'browser', include: ['test/e2e/**/*.test.ts', ...BROWSER_FILES] } },
    ],
  },
});
