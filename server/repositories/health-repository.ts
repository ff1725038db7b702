import { sql } from 'kysely'
import type { DbOrTx } from '../db/connection.ts'

/** One round trip to the database; throws when it does not answer. */
export async function pingDatabase (db: DbOrTx): Promise<void> {
  await sql`select 1`.execute(db)
}
