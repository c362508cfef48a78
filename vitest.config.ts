import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end files each start their own emulators and Chromium; two cores cannot run many at once.
    fileParallelism: true,
    maxWorkers: 2,
    // Backstops only: end-to-end tests wait for what they expect within timeouts derived from a
    // calibration of this machine (test/e2e/support/machine.ts), and fail there with a message.
    testTimeout: 1_800_000,
    hookTimeout: 900_000,
    reporters: ['default'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
