import { spawnSync } from 'node:child_process'
import { postgresAvailable } from './helpers/postgres.ts'

/**
 * `npm run test:pg`: the whole suite again, on PostgreSQL (TEST_DB=postgres), plus the
 * tests with several servers on one database. The tests start a throwaway PostgreSQL
 * cluster themselves, or use TEST_DATABASE_URL. Without either they are skipped with a
 * message, unless REQUIRE_PG=1 (as in .ci/run).
 */
const available = postgresAvailable()
if (!available.ok) {
  const message = `PostgreSQL tests skipped: ${available.why}.`
  if (process.env.REQUIRE_PG === '1') {
    console.error(`${message} REQUIRE_PG=1 makes them mandatory.`)
    process.exit(1)
  }
  console.log(message)
  process.exit(0)
}
console.log(`Running the suite on PostgreSQL, using ${available.how}.`)
const result = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, TEST_DB: 'postgres' }
})
process.exit(result.status ?? 1)
