import { sql } from 'kysely'
import { type Tx, isPostgres } from '../db/connection.ts'

/**
 * Holds named locks until the transaction ends, for "look, then insert if missing" steps
 * that must not run twice at once: the same person booking two classes at the same
 * moment must become one participant, not two. On PostgreSQL these are advisory locks,
 * taken in sorted order so that two transactions never wait for each other in a circle.
 * SQLite runs one writing transaction at a time, so there it needs nothing.
 */
export async function lockNames (tx: Tx, names: string[]): Promise<void> {
  if (!isPostgres(tx)) return
  for (const name of [...new Set(names)].sort()) {
    await sql`select pg_advisory_xact_lock(hashtextextended(${name}, 0))`.execute(tx)
  }
}
