import type { DbOrTx } from '../db/connection.ts'
import type { NewPartner, PartnerRow } from '../db/schema.ts'

export async function insertPartner (db: DbOrTx, partner: NewPartner): Promise<number> {
  const { id } = await db.insertInto('partners').values(partner).returning('id').executeTakeFirstOrThrow()
  return id
}

export async function findPartner (db: DbOrTx, id: number): Promise<PartnerRow | undefined> {
  return await db.selectFrom('partners').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function listAllPartners (db: DbOrTx): Promise<PartnerRow[]> {
  return await db.selectFrom('partners').selectAll().orderBy('archived_at', ob => ob.desc().nullsLast()).orderBy('name').orderBy('id').execute()
}

export async function updatePartner (db: DbOrTx, id: number, changes: Partial<Omit<PartnerRow, 'id' | 'created_at'>>): Promise<boolean> {
  const result = await db.updateTable('partners').set(changes).where('id', '=', id).executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}
