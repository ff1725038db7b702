import type { DbOrTx } from '../db/connection.ts'
import type { LocationRow, NewLocation } from '../db/schema.ts'

export async function insertLocation (db: DbOrTx, location: NewLocation): Promise<number> {
  const row = await db.insertInto('locations').values(location).returning('id').executeTakeFirstOrThrow()
  return row.id
}

export async function findLocation (db: DbOrTx, id: number): Promise<LocationRow | undefined> {
  return await db.selectFrom('locations').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function listActiveLocations (db: DbOrTx): Promise<LocationRow[]> {
  return await db.selectFrom('locations').selectAll().where('archived_at', 'is', null).orderBy('name').execute()
}
