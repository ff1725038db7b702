import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Browser tests start Chromium; keep them from fighting the other files for 2 cores.
    fileParallelism: true,
    maxWorkers: 2
  }
})
