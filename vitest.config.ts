import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 15_000,
    hookTimeout: 15_000,
    // Integration tests open real sockets; a few files at a time keeps a
    // 2-core machine responsive without making the suite slow.
    maxWorkers: 2,
  },
});
