import { loadConfig } from '../config.ts'
import { backupSqlite } from '../db/backup.ts'

/**
 * `npm run backup -- FILE`: a consistent online backup of DATABASE_FILE to FILE while
 * the server keeps running. Restore by stopping the server and copying FILE over
 * DATABASE_FILE (see the README).
 */
const target = process.argv[2]
if (target === undefined || target.startsWith('-')) {
  console.error('Usage: npm run backup -- FILE   (for example: npm run backup -- backups/digikurser-2026-11-21.sqlite)')
  process.exit(2)
}
try {
  const config = loadConfig()
  if (config.databaseUrl !== null) {
    console.error('DATABASE_URL is set: the data is in PostgreSQL, not in a file. Back it up with pg_dump, for example\n  pg_dump --format=custom --file=digikurser-$(date +%F).dump "$DATABASE_URL"\nand restore with pg_restore (see "Running several servers" in the README).')
    process.exit(2)
  }
  const started = Date.now()
  const result = await backupSqlite(config.databaseFile, target)
  console.log(`Backup written to ${target}: ${result.pages} pages, ${result.bookings} bookings, integrity ok, ${Date.now() - started} ms.`)
} catch (error) {
  console.error(`Backup failed: ${(error as Error).message}`)
  process.exit(1)
}
