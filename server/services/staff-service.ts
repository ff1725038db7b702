import { hash, verify } from '@node-rs/argon2'
import type { Db } from '../db/connection.ts'
import type { StaffUserRow } from '../db/schema.ts'
import { type StaffUserInput } from '../domain/staff.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { countStaffUsers, findStaffUserByEmail, insertStaffUser, recordSignIn } from '../repositories/staff-repository.ts'

export class StaffError extends Error {
  override name = 'StaffError'
  constructor (readonly code: 'email_taken' | 'setup_done') { super(code) }
}

/** A hash to verify against when the e-mail is unknown, so timing does not reveal it. */
let dummyHash: Promise<string> | undefined

export async function createStaffUser (db: Db, input: StaffUserInput, createdBy: number | null, now: Date = new Date()): Promise<number> {
  const passwordHash = await hash(input.password)
  return await db.transaction().execute(async tx => {
    if (await findStaffUserByEmail(tx, input.email)) throw new StaffError('email_taken')
    const id = await insertStaffUser(tx, {
      email: input.email,
      name: input.name,
      role: input.role,
      password_hash: passwordHash,
      active: 1,
      created_at: now.toISOString()
    })
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: createdBy, action: 'staff_user_created', subject_type: 'staff_user', subject_id: id, detail: `role=${input.role}` })
    return id
  })
}

/** Creates the first admin, only while no staff user exists at all. */
export async function createFirstAdmin (db: Db, input: StaffUserInput, now: Date = new Date()): Promise<number> {
  const passwordHash = await hash(input.password)
  return await db.transaction().execute(async tx => {
    // Serialise concurrent attempts: the count and the insert happen under one write lock.
    await tx.deleteFrom('staff_users').where('id', '<', 0).execute()
    if (await countStaffUsers(tx) > 0) throw new StaffError('setup_done')
    const id = await insertStaffUser(tx, { email: input.email, name: input.name, role: 'admin', password_hash: passwordHash, active: 1, created_at: now.toISOString() })
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: id, action: 'first_admin_created', subject_type: 'staff_user', subject_id: id, detail: null })
    return id
  })
}

export async function needsFirstAdmin (db: Db): Promise<boolean> {
  return await countStaffUsers(db) === 0
}

/** The staff user for an e-mail and password, or undefined. Inactive users cannot sign in. */
export async function authenticate (db: Db, email: string, password: string, now: Date = new Date()): Promise<StaffUserRow | undefined> {
  const user = await findStaffUserByEmail(db, email.trim().toLowerCase())
  if (!user || user.password_hash === null || user.active !== 1) {
    dummyHash ??= hash('not a real password, only for timing')
    await verify(await dummyHash, password).catch(() => false)
    return undefined
  }
  const ok = await verify(user.password_hash, password).catch(() => false)
  if (!ok) return undefined
  await recordSignIn(db, user.id, now.toISOString())
  return user
}
