import { resolve } from 'node:path'
import { inject } from 'vitest'
import { type Db, isPostgresUrl, openDatabaseAt } from '../../server/db/connection.ts'
import { migrateToLatest } from '../../server/db/migrate.ts'
import { syncCatalogue } from '../../server/services/catalogue-service.ts'
import { cloneTemplate, databaseUrl, withAdmin } from './postgres.ts'

export const coursesDir = resolve(import.meta.dirname, '../../courses')

/**
 * Where a test's data lives. Normally a SQLite file (or ':memory:'); when the suite runs
 * on PostgreSQL (npm run test:pg), a fresh database cloned from the migrated template,
 * given as its URL. Tests pass a location around and open it with openDatabase.
 */
export const postgres = process.env.VITEST ? inject('postgres') : null
export const onPostgres = postgres !== null

/** The same SESSION_SECRET for every server process a test starts, as several servers need. */
export const testSessionSecret = 'digikurser-test-session-secret-0123456789abcdef'

export async function newDatabase (file = ':memory:'): Promise<string> {
  if (postgres === null) return file
  return await cloneTemplate(postgres.adminUrl, postgres.template, postgres.prefix)
}

export { isPostgresUrl, openDatabaseAt as openDatabase }

/** The environment a server process or CLI needs to use this database. */
export function databaseEnv (location: string): Record<string, string> {
  return isPostgresUrl(location)
    ? { DATABASE_URL: location, SESSION_SECRET: testSessionSecret }
    : { DATABASE_FILE: location }
}

/** A new database with nothing in it, not even the schema (PostgreSQL runs only). */
export async function newEmptyPostgresDatabase (): Promise<string> {
  if (postgres === null) throw new Error('newEmptyPostgresDatabase needs the suite to run on PostgreSQL')
  const name = `${postgres.prefix}_empty_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  await withAdmin(postgres.adminUrl, async c => { await c.query(`CREATE DATABASE "${name}"`) })
  return databaseUrl(postgres.adminUrl, name)
}

/**
 * A freshly migrated database with the real course catalogue: SQLite (in memory, or the
 * file given), or a new PostgreSQL database when the suite runs on PostgreSQL. A location
 * from newDatabase() is opened as it is.
 */
export async function createTestDb (fileOrLocation = ':memory:'): Promise<Db> {
  const location = isPostgresUrl(fileOrLocation) ? fileOrLocation : await newDatabase(fileOrLocation)
  const db = openDatabaseAt(location)
  if (!isPostgresUrl(location)) {
    await migrateToLatest(db)
    await syncCatalogue(db, coursesDir)
  }
  return db
}
