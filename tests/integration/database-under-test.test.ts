import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { isPostgres } from '../../server/db/connection.ts'
import { createTestDb, onPostgres } from '../helpers/database.ts'

describe('the database under test', () => {
  it(`is ${process.env.TEST_DB === 'postgres' ? 'PostgreSQL' : 'SQLite'}, as the run asked`, async () => {
    const db = await createTestDb()
    expect(onPostgres).toBe(process.env.TEST_DB === 'postgres')
    expect(isPostgres(db)).toBe(onPostgres)
    const version = onPostgres
      ? (await sql<{ v: string }>`select version() as v`.execute(db)).rows[0]?.v
      : (await sql<{ v: string }>`select sqlite_version() as v`.execute(db)).rows[0]?.v
    expect(version).toMatch(onPostgres ? /^PostgreSQL \d+/ : /^3\.\d+/)
    // Counts come back as numbers on both.
    const { n } = await db.selectFrom('courses').select(eb => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
    expect(typeof n).toBe('number')
    expect(n).toBeGreaterThan(5)
    await db.destroy()
  })
})
