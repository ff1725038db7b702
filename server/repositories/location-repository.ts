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
  return await db.selectFrom('locations').selectAll().where('archived_at', 'is', null).orderBy('name').orderBy('id').execute()
}

export async function listAllLocations (db: DbOrTx): Promise<LocationRow[]> {
  return await db.selectFrom('locations').selectAll().orderBy('archived_at', ob => ob.desc().nullsLast()).orderBy('name').orderBy('id').execute()
}

export async function updateLocation (db: DbOrTx, id: number, changes: Partial<Omit<LocationRow, 'id' | 'created_at'>>): Promise<boolean> {
  const result = await db.updateTable('locations').set(changes).where('id', '=', id).executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}
