import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createPostgresDb, isPostgresUrl } from '../db/connection.ts'
import { CopyError, copySqliteToPostgres, openSqliteReadOnly, verifyCopy } from './copy-database.ts'

/**
 * `npm run db:copy -- --from data/digikurser.sqlite --to postgres://user:pw@host/db`
 * Copies a SQLite installation into an empty PostgreSQL database and checks that row
 * counts and report totals match. Stop the server first, so nothing changes meanwhile.
 */
const usage = 'Usage: npm run db:copy -- --from <sqlite file> --to <postgres url>'

let exitCode = 0
try {
  const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' } } })
  if (!values.from || !values.to) throw new CopyError(usage)
  if (!isPostgresUrl(values.to)) throw new CopyError(`--to must be a postgres:// URL.\n${usage}`)
  const source = openSqliteReadOnly(resolve(values.from))
  const target = createPostgresDb(values.to, 2)
  try {
    const started = Date.now()
    console.log(`Copying ${values.from} to PostgreSQL (${new URL(values.to).host}${new URL(values.to).pathname}) …`)
    const tables = await copySqliteToPostgres(source.raw, target, (table, rows) => { console.log(`  ${table.padEnd(24)} ${String(rows).padStart(9)} rows`) })
    const result = await verifyCopy(source.db, target, tables)
    const rows = result.tables.reduce((sum, t) => sum + t.target, 0)
    if (result.differences.length > 0) {
      console.error(`The copy does NOT match:\n${result.differences.map(d => `  ${d}`).join('\n')}`)
      exitCode = 1
    } else {
      console.log(`Row counts match in all ${result.tables.length} tables (${rows} rows).`)
      console.log(result.period
        ? `Report totals match for ${result.period.from} to ${result.period.to} (every meeting).`
        : 'There are no meetings yet, so there is no report to compare.')
      console.log(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s. Start the servers with DATABASE_URL set to the new database.`)
    }
  } finally {
    await source.db.destroy()
    await target.destroy()
  }
} catch (error) {
  console.error(error instanceof CopyError ? error.message : `Copy failed: ${(error as Error).message}`)
  exitCode = 1
}
process.exitCode = exitCode
