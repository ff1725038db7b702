import { createHash, createHmac, randomBytes } from 'node:crypto'
import { hash, verify } from '@node-rs/argon2'
import type { Db } from '../db/connection.ts'
import type { StaffUserRow } from '../db/schema.ts'
import { type Actor, actingStaffId, auditStaffId } from '../domain/actor.ts'
import { DomainError } from '../domain/errors.ts'
import { normalizeStaffEmail, PASSWORD_MIN_LENGTH, ROLES, SIGN_IN_FAILURES_PER_ACCOUNT, SIGN_IN_WINDOW_MINUTES, type StaffUserInput } from '../domain/staff.ts'
import { queueMail } from '../mail/outbox.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { lockNames } from '../repositories/lock-repository.ts'
import { countRequest, uncountRequest } from '../repositories/shared-state-repository.ts'
import {
  bumpSessionGeneration, claimInvitation, countStaffAccounts, findStaffUser, findStaffUserByEmail, findStaffUserByInvite, insertStaffUser, recordSignIn, replaceStaffLocations, updateStaffProfile, updateStaffUser
} from '../repositories/staff-repository.ts'

/** A hash to verify against when the e-mail is unknown, so timing does not reveal it. */
let dummyHash: Promise<string> | undefined

export async function createStaffUser (db: Db, actor: Actor, input: StaffUserInput, now: Date = new Date()): Promise<number> {
  const createdBy = auditStaffId(actor)
  const passwordHash = await hash(input.password)
  return await db.transaction().execute(async tx => {
    await lockNames(tx, [`staff:${input.email}`])
    if (await findStaffUserByEmail(tx, input.email)) throw new DomainError('email_taken')
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

/** Creates the first admin, only while no staff account exists at all. */
export async function createFirstAdmin (db: Db, input: StaffUserInput, now: Date = new Date()): Promise<number> {
  const passwordHash = await hash(input.password)
  return await db.transaction().execute(async tx => {
    // Serialise concurrent attempts: the count and the insert happen under one lock.
    await lockNames(tx, ['staff:first-admin'])
    if (await countStaffAccounts(tx) > 0) throw new DomainError('setup_done')
    const id = await insertStaffUser(tx, { email: input.email, name: input.name, role: 'admin', password_hash: passwordHash, active: 1, created_at: now.toISOString() })
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: id, action: 'first_admin_created', subject_type: 'staff_user', subject_id: id, detail: null })
    return id
  })
}

export async function needsFirstAdmin (db: Db): Promise<boolean> {
  return await countStaffAccounts(db) === 0
}

/** The staff user for an e-mail and password, or undefined. Inactive users cannot sign in. */
export async function authenticate (db: Db, email: string, password: string, now: Date = new Date()): Promise<StaffUserRow | undefined> {
  const user = await findStaffUserByEmail(db, normalizeStaffEmail(email))
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

export type SignInResult = { state: 'ok', user: StaffUserRow } | { state: 'wrong' } | { state: 'paused', retryAfterMs: number }

/**
 * Sign-in with a limit per account as well as the one per address: after
 * SIGN_IN_FAILURES_PER_ACCOUNT failures in a window, the account pauses until the window
 * ends, wherever the guesses come from. The attempt is counted before the password is
 * checked, so guesses sent at once are counted too; a right password takes its count back.
 * The counts live in the shared rate_limits table (every server sees them), under a keyed
 * hash of the e-mail address, never the address itself. Unknown addresses count alike.
 */
export async function signInWithLimit (db: Db, limitKey: Buffer, email: string, password: string, now: Date = new Date()): Promise<SignInResult> {
  const secret = createHmac('sha256', limitKey).update('digikurser sign-in per account').digest()
  const key = `sign-in:${createHmac('sha256', secret).update(normalizeStaffEmail(email)).digest('base64url')}`
  const counted = await countRequest(db, key, SIGN_IN_WINDOW_MINUTES * 60_000, now.getTime())
  if (counted.hits > SIGN_IN_FAILURES_PER_ACCOUNT) return { state: 'paused', retryAfterMs: counted.expiresAt - now.getTime() }
  const user = await authenticate(db, email, password, now)
  if (!user) return { state: 'wrong' }
  await uncountRequest(db, key, now.getTime())
  return { state: 'ok', user }
}

export const INVITE_DAYS = 7

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex')

/**
 * Invites a staff user: the account exists without a password until they open the
 * link and choose one. Returns the link's token, shown once; the account keeps only its
 * hash, and the invitation e-mail in the outbox carries the link.
 */
export async function inviteStaffUser (db: Db, actor: Actor, input: Omit<StaffUserInput, 'password'>, now: Date = new Date()): Promise<{ id: number, token: string }> {
  const invitedBy = actingStaffId(actor)
  const token = randomBytes(24).toString('base64url')
  const expires = new Date(now.getTime() + INVITE_DAYS * 24 * 3600_000).toISOString()
  return await db.transaction().execute(async tx => {
    await lockNames(tx, [`staff:${input.email}`])
    if (await findStaffUserByEmail(tx, input.email)) throw new DomainError('email_taken')
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

/** Deactivates (ending every session at once) or reactivates a staff user. An admin cannot deactivate themselves. */
export async function setStaffActive (db: Db, actor: Actor, id: number, active: boolean, now: Date = new Date()): Promise<boolean> {
  const by = actingStaffId(actor)
  if (id === by && !active) return false
  return await db.transaction().execute(async tx => {
    if (!await updateStaffUser(tx, id, { active: active ? 1 : 0 })) return false
    if (!active) await bumpSessionGeneration(tx, id)
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: by, action: active ? 'staff_user_reactivated' : 'staff_user_deactivated', subject_type: 'staff_user', subject_id: id, detail: null })
    return true
  })
}

export interface StaffProfileInput { name: string, phone: string | null, locationIds: number[] }

/** A staff member's own profile: name, phone and the places they help at. */
export async function saveStaffProfile (db: Db, actor: Actor, input: StaffProfileInput, now: Date = new Date()): Promise<void> {
  const staffUserId = actingStaffId(actor)
  await db.transaction().execute(async tx => {
    await updateStaffProfile(tx, staffUserId, { name: input.name, phone: input.phone })
    await replaceStaffLocations(tx, staffUserId, input.locationIds)
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffUserId, action: 'staff_profile_saved', subject_type: 'staff_user', subject_id: staffUserId, detail: `locations=${input.locationIds.length}` })
  })
}

/**
 * Ends every session of a staff user, on every server: "Log ud" and "Log ud alle steder"
 * (which is recorded in the audit log). Returns false when the user does not exist.
 */
export async function endStaffSessions (db: Db, actor: Actor, reason: 'signed_out' | 'everywhere', now: Date = new Date()): Promise<boolean> {
  const staffUserId = actingStaffId(actor)
  return await db.transaction().execute(async tx => {
    if (await bumpSessionGeneration(tx, staffUserId) === undefined) return false
    if (reason === 'everywhere') await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffUserId, action: 'staff_sessions_ended', subject_type: 'staff_user', subject_id: staffUserId, detail: null })
    return true
  })
}

export type PasswordChangeErrors = Partial<Record<'current_password' | 'password' | 'password_repeat', string>>

/**
 * A staff member changes their own password, giving the current one. Every session of the
 * user ends; the result carries the new session generation, for the session that changed it.
 */
export async function changeStaffPassword (db: Db, actor: Actor, input: { current: string, password: string, repeat: string }, now: Date = new Date()): Promise<{ ok: true, sessionGeneration: number } | { ok: false, errors: PasswordChangeErrors }> {
  const staffUserId = actingStaffId(actor)
  const errors: PasswordChangeErrors = {}
  if (input.password.length < PASSWORD_MIN_LENGTH) errors.password = `Adgangskoden skal have mindst ${PASSWORD_MIN_LENGTH} tegn.`
  else if (input.password.length > 200) errors.password = 'Adgangskoden må højst have 200 tegn.'
  if (input.password !== input.repeat) errors.password_repeat = 'De to adgangskoder er ikke ens.'
  const user = await findStaffUser(db, staffUserId)
  const currentOk = user?.password_hash != null && input.current.length <= 200 && await verify(user.password_hash, input.current).catch(() => false)
  if (!currentOk) errors.current_password = 'Din nuværende adgangskode er forkert.'
  if (Object.keys(errors).length > 0) return { ok: false, errors }
  const passwordHash = await hash(input.password)
  return await db.transaction().execute(async tx => {
    await updateStaffUser(tx, staffUserId, { password_hash: passwordHash })
    const sessionGeneration = await bumpSessionGeneration(tx, staffUserId) ?? 0
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffUserId, action: 'staff_password_changed', subject_type: 'staff_user', subject_id: staffUserId, detail: null })
    return { ok: true as const, sessionGeneration }
  })
}
