/** The soak benchmark (`npm run soak`): one long test, nothing in parallel. */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const minutes = Number(process.env.SOAK_MINUTES || 3) * Number(process.env.SOAK_ROUNDS || 1);

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['bench/soak.run.ts'],
    // Churn plus population, warm-up, measurements and teardown.
    testTimeout: (minutes * 60 + 20 * 60) * 1000,
    hookTimeout: 60_000,
    maxWorkers: 1,
    fileParallelism: false,
  },
});
