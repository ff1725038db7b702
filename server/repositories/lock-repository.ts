import { sql } from 'kysely'
import { type Tx, isPostgres } from '../db/connection.ts'
import { prepare } from '../db/prepared.ts'

const writeNothing = prepare((db, v: { name: string }) => db.deleteFrom('change_counters').where('name', '=', v.name))
// PostgreSQL only: a booking takes one per phone or e-mail.
const advisoryLock = prepare((db, v: { name: string }) => db.selectNoFrom(eb => eb.fn('pg_advisory_xact_lock', [eb.fn('hashtextextended', [eb.val(v.name), sql.lit(0)])]).as('locked')))

/**
 * Holds named locks until the transaction ends, for "look, then insert if missing" steps
 * that must not run twice at once: the same person booking two classes at the same
 * moment must become one participant, not two. On PostgreSQL these are advisory locks,
 * taken in sorted order so that two transactions never wait for each other in a circle.
 * SQLite runs one writing transaction at a time: there the names need no lock of their
 * own, but the transaction takes the write lock now, before it looks, with a write that
 * changes nothing. Then the look sees what another process committed (a command-line
 * user:create beside the server) and no other writer can come between look and insert.
 */
export async function lockNames (tx: Tx, names: string[]): Promise<void> {
  if (!isPostgres(tx)) {
    await writeNothing.run(tx, { name: '' })
    return
  }
  for (const name of [...new Set(names)].sort()) {
    await advisoryLock.run(tx, { name })
  }
}
