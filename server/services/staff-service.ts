import { createHash, randomBytes } from 'node:crypto'
import { hash, verify } from '@node-rs/argon2'
import type { Db } from '../db/connection.ts'
import type { StaffUserRow } from '../db/schema.ts'
import { ROLES, type StaffUserInput } from '../domain/staff.ts'
import { queueMail } from '../mail/outbox.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { lockNames } from '../repositories/lock-repository.ts'
import {
  claimInvitation, countStaffUsers, findStaffUser, findStaffUserByEmail, findStaffUserByInvite, insertStaffUser, recordSignIn, replaceStaffLocations, updateStaffProfile, updateStaffUser
} from '../repositories/staff-repository.ts'

export class StaffError extends Error {
  override name = 'StaffError'
  constructor (readonly code: 'email_taken' | 'setup_done') { super(code) }
}

/** A hash to verify against when the e-mail is unknown, so timing does not reveal it. */
let dummyHash: Promise<string> | undefined

export async function createStaffUser (db: Db, input: StaffUserInput, createdBy: number | null, now: Date = new Date()): Promise<number> {
  const passwordHash = await hash(input.password)
  return await db.transaction().execute(async tx => {
    await lockNames(tx, [`staff:${input.email}`])
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
    // Serialise concurrent attempts: the count and the insert happen under one write lock
    // (SQLite), or one named lock (PostgreSQL, perhaps on several servers).
    await tx.deleteFrom('staff_users').where('id', '<', 0).execute()
    await lockNames(tx, ['staff:first-admin'])
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

export const INVITE_DAYS = 7

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex')

/**
 * Invites a staff user: the account exists without a password until they open the
 * link and choose one. Returns the link's token, shown once; the account keeps only its
 * hash, and the invitation e-mail in the outbox carries the link.
 */
export async function inviteStaffUser (db: Db, input: Omit<StaffUserInput, 'password'>, invitedBy: number, now: Date = new Date()): Promise<{ id: number, token: string }> {
  const token = randomBytes(24).toString('base64url')
  const expires = new Date(now.getTime() + INVITE_DAYS * 24 * 3600_000).toISOString()
  return await db.transaction().execute(async tx => {
    await lockNames(tx, [`staff:${input.email}`])
    if (await findStaffUserByEmail(tx, input.email)) throw new StaffError('email_taken')
    const id = await insertStaffUser(tx, {
      email: input.email,
      name: input.name,
      role: input.role,
      password_hash: null,
      active: 1,
      created_at: now.toISOString(),
      invite_token_hash: sha256(token),
      invite_expires_at: expires
    })
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: invitedBy, action: 'staff_user_invited', subject_type: 'staff_user', subject_id: id, detail: `role=${input.role}` })
    const inviter = await findStaffUser(tx, invitedBy)
    await queueMail(tx, {
      kind: 'staff_invitation',
      name: input.name,
      roleLabel: ROLES[input.role],
      invitedBy: inviter?.name ?? 'En administrator',
      inviteToken: token,
      expiresAt: expires
    }, { recipient: input.email }, now)
    return { id, token }
  })
}

/** The invited user behind a link, while it is valid. */
export async function findInvitation (db: Db, token: string, now: Date = new Date()): Promise<StaffUserRow | undefined> {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) return undefined
  const user = await findStaffUserByInvite(db, sha256(token))
  if (!user || user.active !== 1 || user.invite_expires_at === null || user.invite_expires_at <= now.toISOString()) return undefined
  return user
}

/**
 * Sets the password from an invitation; the link then stops working. The link is claimed
 * by one conditional write, so when several requests use it at once only one succeeds;
 * the others get undefined, as for a used link.
 */
export async function acceptInvitation (db: Db, token: string, password: string, now: Date = new Date()): Promise<StaffUserRow | undefined> {
  const user = await findInvitation(db, token, now)
  if (!user) return undefined
  const passwordHash = await hash(password)
  return await db.transaction().execute(async tx => {
    if (!await claimInvitation(tx, user.id, sha256(token), passwordHash, now.toISOString())) return undefined
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: user.id, action: 'staff_invitation_accepted', subject_type: 'staff_user', subject_id: user.id, detail: null })
    return user
  })
}

/** Deactivates or reactivates a staff user. An admin cannot deactivate themselves. */
export async function setStaffActive (db: Db, id: number, active: boolean, by: number, now: Date = new Date()): Promise<boolean> {
  if (id === by && !active) return false
  return await db.transaction().execute(async tx => {
    if (!await updateStaffUser(tx, id, { active: active ? 1 : 0 })) return false
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: by, action: active ? 'staff_user_reactivated' : 'staff_user_deactivated', subject_type: 'staff_user', subject_id: id, detail: null })
    return true
  })
}

export interface StaffProfileInput { name: string, phone: string | null, locationIds: number[] }

/** A staff member's own profile: name, phone and the places they help at. */
export async function saveStaffProfile (db: Db, staffUserId: number, input: StaffProfileInput, now: Date = new Date()): Promise<void> {
  await db.transaction().execute(async tx => {
    await updateStaffProfile(tx, staffUserId, { name: input.name, phone: input.phone })
    await replaceStaffLocations(tx, staffUserId, input.locationIds)
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffUserId, action: 'staff_profile_saved', subject_type: 'staff_user', subject_id: staffUserId, detail: `locations=${input.locationIds.length}` })
  })
}
