import type { DbOrTx } from '../db/connection.ts'
import type { NewStaffUser, StaffUserRow } from '../db/schema.ts'
import { prepare } from '../db/prepared.ts'

/**
 * Staff users someone can sign in as or claim: with a password or an invitation, active or
 * not. A record with neither (a volunteer in the demo's history) is no account.
 */
export async function countStaffAccounts (db: DbOrTx): Promise<number> {
  const row = await db.selectFrom('staff_users').select(eb => eb.fn.countAll().as('n'))
    .where(eb => eb.or([eb('password_hash', 'is not', null), eb('invite_token_hash', 'is not', null)]))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function insertStaffUser (db: DbOrTx, user: NewStaffUser): Promise<number> {
  const { id } = await db.insertInto('staff_users').values(user).returning('id').executeTakeFirstOrThrow()
  return id
}

export async function findStaffUserByEmail (db: DbOrTx, email: string): Promise<StaffUserRow | undefined> {
  return await db.selectFrom('staff_users').selectAll().where('email', '=', email).executeTakeFirst()
}

export async function findStaffUser (db: DbOrTx, id: number): Promise<StaffUserRow | undefined> {
  return await db.selectFrom('staff_users').selectAll().where('id', '=', id).executeTakeFirst()
}

/** What every staff request checks: one read by primary key. */
export async function findStaffSessionUser (db: DbOrTx, id: number): Promise<Pick<StaffUserRow, 'id' | 'name' | 'email' | 'role' | 'active' | 'session_generation'> | undefined> {
  return await sessionUser.first(db, { id })
}

// Every signed-in request asks: prepared once.
const sessionUser = prepare((db, v: { id: number }) => db.selectFrom('staff_users').select(['id', 'name', 'email', 'role', 'active', 'session_generation']).where('id', '=', v.id))

/** Ends every session of the user: cookies carry the generation they began with. Returns the new one. */
export async function bumpSessionGeneration (db: DbOrTx, id: number): Promise<number | undefined> {
  const row = await db.updateTable('staff_users').set(eb => ({ session_generation: eb('session_generation', '+', 1) }))
    .where('id', '=', id).returning('session_generation').executeTakeFirst()
  return row?.session_generation
}

export async function recordSignIn (db: DbOrTx, id: number, at: string): Promise<void> {
  await db.updateTable('staff_users').set({ last_sign_in_at: at }).where('id', '=', id).execute()
}

export async function listStaffUsers (db: DbOrTx): Promise<StaffUserRow[]> {
  return await db.selectFrom('staff_users').selectAll().orderBy('active', 'desc').orderBy('name').execute()
}

export async function findStaffUserByInvite (db: DbOrTx, tokenHash: string): Promise<StaffUserRow | undefined> {
  return await db.selectFrom('staff_users').selectAll().where('invite_token_hash', '=', tokenHash).executeTakeFirst()
}

/**
 * Uses an invitation: sets the password and clears the link in one conditional write, so
 * that of several requests with the same link only one changes the row. True for that one.
 */
export async function claimInvitation (db: DbOrTx, id: number, tokenHash: string, passwordHash: string, at: string): Promise<boolean> {
  const result = await db.updateTable('staff_users')
    .set({ password_hash: passwordHash, invite_token_hash: null, invite_expires_at: null })
    .where('id', '=', id).where('invite_token_hash', '=', tokenHash).where('invite_expires_at', '>', at).where('active', '=', 1)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function updateStaffUser (db: DbOrTx, id: number, changes: Partial<Pick<StaffUserRow, 'active' | 'password_hash' | 'invite_token_hash' | 'invite_expires_at' | 'role' | 'name'>>): Promise<boolean> {
  const result = await db.updateTable('staff_users').set(changes).where('id', '=', id).executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export async function listStaffLocationIds (db: DbOrTx, staffUserId: number): Promise<number[]> {
  const rows = await db.selectFrom('staff_locations').select('location_id').where('staff_user_id', '=', staffUserId).execute()
  return rows.map(r => r.location_id)
}

export async function replaceStaffLocations (db: DbOrTx, staffUserId: number, locationIds: number[]): Promise<void> {
  await db.deleteFrom('staff_locations').where('staff_user_id', '=', staffUserId).execute()
  if (locationIds.length > 0) await db.insertInto('staff_locations').values(locationIds.map(id => ({ staff_user_id: staffUserId, location_id: id }))).execute()
}

export async function updateStaffProfile (db: DbOrTx, id: number, profile: { name: string, phone: string | null }): Promise<void> {
  await db.updateTable('staff_users').set(profile).where('id', '=', id).execute()
}

/**
 * Active leaders and administrators whom a volunteer can ask: those at one of the
 * volunteer's places, or, with none there, any (the first `limit` by name).
 */
export async function listLeadersToAsk (db: DbOrTx, staffUserId: number, limit: number): Promise<Array<{ id: number, name: string, phone: string | null }>> {
  const leaders = db.selectFrom('staff_users')
    .select(['staff_users.id', 'staff_users.name', 'staff_users.phone'])
    .where('staff_users.role', 'in', ['leader', 'admin'])
    .where('staff_users.active', '=', 1)
    .where('staff_users.id', '!=', staffUserId)
    .orderBy('staff_users.name').orderBy('staff_users.id')
    .limit(limit)
  const atMyPlaces = await leaders.where('staff_users.id', 'in', eb => eb.selectFrom('staff_locations as theirs')
    .innerJoin('staff_locations as mine', 'mine.location_id', 'theirs.location_id')
    .where('mine.staff_user_id', '=', staffUserId)
    .select('theirs.staff_user_id')).execute()
  return atMyPlaces.length > 0 ? atMyPlaces : await leaders.execute()
}
