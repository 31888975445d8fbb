/** The long fuzz run (`npm run fuzz`): one test, nothing in parallel. */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['bench/fuzz.run.ts'],
    // 300000 lines take about a minute; leave room for much longer runs.
    testTimeout: 4 * 60 * 60 * 1000,
    hookTimeout: 60_000,
    maxWorkers: 1,
    fileParallelism: false,
  },
});
