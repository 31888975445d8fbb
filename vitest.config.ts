import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 15_000,
    hookTimeout: 15_000,
    // Integration tests open real sockets; a few files at a time keeps a
    // 2-core machine responsive without making the suite slow.
    maxWorkers: 2,
    projects: [
      // Everything, on the default transport (auto: the native one when built).
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'] } },
      // The socket-level suites again on Node's sockets, the fallback transport
      // (test/helpers/server.ts reads OBROL_TEST_TRANSPORT).
      {
        extends: true,
        test: {
          name: 'node-sockets',
          include: ['test/integration/**/*.test.ts', 'test/hostile/**/*.test.ts'],
          exclude: ['test/integration/transports.test.ts'],
          env: { OBROL_TEST_TRANSPORT: 'node' },
        },
      },
    ],
  },
});
