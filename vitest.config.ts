import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The long crash test runs on its own: npm run test:chaos (CI runs both).
    exclude: process.env.CHAOS === '1' ? [] : ['tests/chaos/**', '**/node_modules/**'],
    environment: 'node',
    // Starts PostgreSQL when the suite runs on it (npm run test:pg); a no-op otherwise.
    globalSetup: ['tests/global-setup.ts'],
    // html-validate over every page each test file rendered (tests/helpers/html-validation.ts).
    setupFiles: ['tests/setup/validate-html.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Browser tests start Chromium; keep them from fighting the other files for 2 cores.
    fileParallelism: true,
    maxWorkers: 2
  }
})
