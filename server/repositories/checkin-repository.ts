import type { DbOrTx, Tx } from '../db/connection.ts'
import type { CheckinActionTable, CheckinLinkRow, CheckinLinkTable } from '../db/schema.ts'
import type { Insertable, Selectable } from 'kysely'
import { byColumns, prepare } from '../db/prepared.ts'

export async function findCheckinAction (db: DbOrTx, key: string): Promise<Selectable<CheckinActionTable> | undefined> {
  return await db.selectFrom('checkin_actions').selectAll().where('idempotency_key', '=', key).executeTakeFirst()
}

/** Claims an idempotency key; false when it was claimed before (by this or another request). */
export async function claimCheckinKey (db: Tx, action: Insertable<CheckinActionTable>): Promise<boolean> {
  return await keyClaim(action).run(db, { ...action }) > 0
}

const keyClaim = byColumns((db, action: Insertable<CheckinActionTable>) => db.insertInto('checkin_actions').values(action).onConflict(oc => oc.column('idempotency_key').doNothing()))

export async function recordCheckinResult (db: DbOrTx, key: string, bookingId: number, resultJson: string): Promise<void> {
  await resultRecord.run(db, { key, bookingId, resultJson })
}

const resultRecord = prepare((db, v: { key: string, bookingId: number, resultJson: string }) => db.updateTable('checkin_actions')
  .set({ result_json: v.resultJson, booking_id: v.bookingId }).where('idempotency_key', '=', v.key))

export async function insertCheckinLink (db: DbOrTx, link: Insertable<CheckinLinkTable>): Promise<number> {
  const { id } = await db.insertInto('checkin_links').values(link).returning('id').executeTakeFirstOrThrow()
  return id
}

export async function findCheckinLinkByHash (db: DbOrTx, tokenHash: string): Promise<CheckinLinkRow | undefined> {
  return await db.selectFrom('checkin_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()
}

export async function findCheckinLink (db: DbOrTx, id: number): Promise<CheckinLinkRow | undefined> {
  return await db.selectFrom('checkin_links').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function listCheckinLinks (db: DbOrTx, meetingId: number): Promise<CheckinLinkRow[]> {
  return await db.selectFrom('checkin_links').selectAll().where('meeting_id', '=', meetingId).orderBy('id').execute()
}

/** Takes one PIN attempt while fewer than `max` are used; the attempts used, or undefined when none are left. */
export async function takePinAttempt (db: DbOrTx, id: number, max: number): Promise<number | undefined> {
  const row = await db.updateTable('checkin_links').set(eb => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
    .where('id', '=', id).where('failed_attempts', '<', max)
    .returning('failed_attempts').executeTakeFirst()
  return row?.failed_attempts
}

export async function giveBackPinAttempt (db: DbOrTx, id: number): Promise<void> {
  await db.updateTable('checkin_links').set(eb => ({ failed_attempts: eb('failed_attempts', '-', 1) })).where('id', '=', id).where('failed_attempts', '>', 0).execute()
}

export async function revokeCheckinLink (db: DbOrTx, id: number, at: string): Promise<boolean> {
  const r = await db.updateTable('checkin_links').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst()
  return Number(r.numUpdatedRows) > 0
}

export async function findBookingByCode (db: DbOrTx, classId: number, code: string): Promise<{ id: number, status: string } | undefined> {
  return await db.selectFrom('bookings').select(['id', 'status']).where('class_id', '=', classId).where('checkin_code', '=', code).executeTakeFirst()
}
