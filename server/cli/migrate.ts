import { loadConfig } from '../config.ts'
import { createDb } from '../db/connection.ts'
import { migrateOnStart } from '../db/migrate.ts'

/** `npm run db:migrate`: brings the database to the newest schema. */
const config = loadConfig()
const db = createDb(config)
try {
  const result = await migrateOnStart(db, config.databaseUrl)
  const applied = result.results?.filter(r => r.status === 'Success') ?? []
  console.log(applied.length === 0 ? 'The database is up to date.' : `Applied: ${applied.map(r => r.migrationName).join(', ')}`)
} catch (error) {
  console.error((error as Error).message)
  process.exitCode = 1
} finally {
  await db.destroy()
}
