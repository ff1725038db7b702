import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Kysely, type Migration, type MigrationProvider, type MigrationResultSet, Migrator } from 'kysely'
import { createPostgresDb, type Db } from './connection.ts'
import { migrationsDir } from '../paths.ts'

/**
 * Reads the migrations folder and imports each file itself. Kysely's
 * FileMigrationProvider cannot import .ts files under vitest; this works under
 * tsx, vitest and compiled JS alike.
 */
export class FolderMigrationProvider implements MigrationProvider {
  constructor (private readonly folder: string = migrationsDir) {}

  async getMigrations (): Promise<Record<string, Migration>> {
    const files = (await readdir(this.folder))
      .filter(f => /\.(ts|js|mjs)$/.test(f) && !f.endsWith('.d.ts'))
      .sort()
    const migrations: Record<string, Migration> = {}
    for (const file of files) {
      const module = await import(pathToFileURL(join(this.folder, file)).href) as Migration
      migrations[file.replace(/\.(ts|js|mjs)$/, '')] = { up: module.up, down: module.down }
    }
    return migrations
  }
}

export class MigrationError extends Error {
  override name = 'MigrationError'
}

export async function migrateToLatest (db: Kysely<any>): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: new FolderMigrationProvider() })
  const result = await migrator.migrateToLatest()
  if (result.error) {
    const failed = result.results?.find(r => r.status === 'Error')
    throw new MigrationError(`Migration ${failed?.migrationName ?? '(unknown)'} failed: ${String(result.error)}`, { cause: result.error })
  }
  return result
}

/**
 * Migrations as a server or `npm run db:migrate` runs them. On PostgreSQL they get a
 * connection of their own without the 30 s statement timeout: a server may wait for
 * another server's migrations (Kysely's migration lock), and a migration may take long.
 */
export async function migrateOnStart (db: Db, databaseUrl: string | null): Promise<MigrationResultSet> {
  if (databaseUrl === null) return await migrateToLatest(db)
  const migrator = createPostgresDb(databaseUrl, 1, { statementTimeoutMs: 0 })
  try {
    return await migrateToLatest(migrator)
  } finally {
    await migrator.destroy()
  }
}
