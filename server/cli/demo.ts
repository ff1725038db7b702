import { rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadConfig } from '../config.ts'
import { createSqliteDb } from '../db/connection.ts'
import { migrateToLatest } from '../db/migrate.ts'
import { reportStartFailure, startServer } from '../server.ts'
import { syncCatalogue } from '../services/catalogue-service.ts'
import { seedDemoData } from './demo-data.ts'
import { demoEnvironment, demoStartLines } from './demo-start.ts'

/**
 * `npm run demo`: a fresh demo database (data/demo.sqlite, never your real one) with
 * places, classes over the next six weeks and bookings, then the server on it. The demo
 * shows made-up contact details, and ends its output with where to go.
 */
try {
  const file = resolve('data/demo.sqlite')
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
  const config = loadConfig(demoEnvironment(process.env), { databaseFile: file, databaseUrl: null })
  const db = createSqliteDb(file, { backgroundCheckpoints: true })
  await migrateToLatest(db)
  await syncCatalogue(db, config.coursesDir)
  const summary = await seedDemoData(db)
  console.log(`Demo data: ${summary.locations} places, ${summary.classes} classes, ${summary.bookings} bookings in ${file}`)
  // Log lines through process.stdout, in order with console.log (pino's own writer is
  // asynchronous), so the demo's plain lines are the last thing on the screen.
  await startServer(config, db, { logStream: process.stdout })
  console.log(demoStartLines(config).join('\n'))
} catch (error) {
  reportStartFailure(error)
}
