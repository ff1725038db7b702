import { createHash, randomBytes, randomInt } from 'node:crypto'
import { hash, verify } from '@node-rs/argon2'
import type { Db } from '../db/connection.ts'
import type { CheckinLinkRow } from '../db/schema.ts'
import { type Actor, actingStaffId } from '../domain/actor.ts'
import { DomainError } from '../domain/errors.ts'
import { copenhagenDate } from '../domain/time.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { findMeetingContext } from '../repositories/attendance-repository.ts'
import { findCheckinLink, giveBackPinAttempt, takePinAttempt, findCheckinLinkByHash, insertCheckinLink, revokeCheckinLink } from '../repositories/checkin-repository.ts'

/** Wrong PINs a link takes before it stops working. */
export const MAX_PIN_ATTEMPTS = 5

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')

export interface NewCheckinLink { id: number, token: string, pin: string, validOn: string }

/**
 * A link for one meeting with a four-digit PIN, for a club volunteer without an account.
 * It works on the meeting's own day only, until revoked or after too many wrong PINs.
 * Only hashes are stored: the leader sees the link and the PIN once.
 */
export async function createCheckinLink (db: Db, actor: Actor, meetingId: number, now: Date = new Date()): Promise<NewCheckinLink> {
  const staffId = actingStaffId(actor)
  const ctx = await findMeetingContext(db, meetingId)
  if (!ctx) throw new DomainError('meeting_not_found')
  const validOn = copenhagenDate(ctx.meeting.starts_at)
  if (validOn < copenhagenDate(now)) throw new DomainError('not_checkin_day')
  const token = randomBytes(18).toString('base64url')
  const pin = String(randomInt(10000)).padStart(4, '0')
  const at = now.toISOString()
  const id = await db.transaction().execute(async tx => {
    const linkId = await insertCheckinLink(tx, { meeting_id: meetingId, token_hash: hashToken(token), pin_hash: await hash(pin), valid_on: validOn, created_by: staffId, created_at: at, revoked_at: null })
    await insertAuditEntry(tx, { at, staff_user_id: staffId, action: 'checkin_link_created', subject_type: 'meeting', subject_id: meetingId, detail: `link=${linkId}` })
    return linkId
  })
  return { id, token, pin, validOn }
}

export type LinkState = 'ok' | 'unknown' | 'revoked' | 'wrong_day' | 'locked'

function stateOf (link: CheckinLinkRow | undefined, now: Date): LinkState {
  if (!link) return 'unknown'
  if (link.revoked_at !== null) return 'revoked'
  if (link.failed_attempts >= MAX_PIN_ATTEMPTS) return 'locked'
  if (link.valid_on !== copenhagenDate(now)) return 'wrong_day'
  return 'ok'
}

export async function findLinkByToken (db: Db, token: string, now: Date = new Date()): Promise<{ link: CheckinLinkRow | undefined, state: LinkState }> {
  const link = token.length > 100 ? undefined : await findCheckinLinkByHash(db, hashToken(token))
  return { link, state: stateOf(link, now) }
}

/**
 * Checks a PIN typed on the tablet. Each try first takes one of the link's attempts with
 * a single conditional update, so guesses sent side by side cannot get past the limit; a
 * right PIN gives its attempt back.
 */
export async function openLinkWithPin (db: Db, token: string, pin: string, now: Date = new Date()): Promise<{ state: LinkState | 'wrong_pin', link?: CheckinLinkRow, attemptsLeft?: number }> {
  const { link, state } = await findLinkByToken(db, token, now)
  if (!link || state !== 'ok') return { state }
  const used = await takePinAttempt(db, link.id, MAX_PIN_ATTEMPTS)
  if (used === undefined) return { state: 'locked' }
  if (/^\d{4}$/.test(pin) && await verify(link.pin_hash, pin)) {
    await giveBackPinAttempt(db, link.id)
    return { state: 'ok', link }
  }
  return used >= MAX_PIN_ATTEMPTS ? { state: 'locked' } : { state: 'wrong_pin', attemptsLeft: MAX_PIN_ATTEMPTS - used }
}

/**
 * True while a tablet holding this link may check people in at this meeting: not
 * stopped, and on the meeting's day. Wrong PINs typed elsewhere lock the link for new
 * tablets only; one already open keeps working.
 */
export async function linkAllows (db: Db, linkId: number, meetingId: number, now: Date = new Date()): Promise<boolean> {
  const link = await findCheckinLink(db, linkId)
  const state = stateOf(link, now)
  return (state === 'ok' || state === 'locked') && link?.meeting_id === meetingId
}

export async function revokeLink (db: Db, actor: Actor, linkId: number, now: Date = new Date()): Promise<number | undefined> {
  const staffId = actingStaffId(actor)
  return await db.transaction().execute(async tx => {
    const link = await findCheckinLink(tx, linkId)
    if (!link) return undefined
    if (await revokeCheckinLink(tx, linkId, now.toISOString())) {
      await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: 'checkin_link_revoked', subject_type: 'meeting', subject_id: link.meeting_id, detail: `link=${linkId}` })
    }
    return link.meeting_id
  })
}
