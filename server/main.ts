import { loadConfig } from './config.ts'
import { createDb } from './db/connection.ts'
import { migrateOnStart } from './db/migrate.ts'
import { reportStartFailure, startServer } from './server.ts'
import { syncCatalogue } from './services/catalogue-service.ts'

/** Boot only: config, database, catalogue, then the server. */
try {
  const config = loadConfig()
  const db = createDb(config, { backgroundCheckpoints: true })
  await migrateOnStart(db, config.databaseUrl)
  await syncCatalogue(db, config.coursesDir)
  await startServer(config, db)
} catch (error) {
  reportStartFailure(error)
}
