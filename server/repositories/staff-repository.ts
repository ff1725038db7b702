import type { DbOrTx } from '../db/connection.ts'
import type { NewStaffUser, StaffUserRow } from '../db/schema.ts'

export async function countStaffUsers (db: DbOrTx): Promise<number> {
  const row = await db.selectFrom('staff_users').select(eb => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
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

export async function recordSignIn (db: DbOrTx, id: number, at: string): Promise<void> {
  await db.updateTable('staff_users').set({ last_sign_in_at: at }).where('id', '=', id).execute()
}
