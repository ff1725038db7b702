import { createHash, randomBytes } from 'node:crypto'
import type { Db } from '../db/connection.ts'
import type { InterestSubscriptionRow } from '../db/schema.ts'
import { DomainError } from '../domain/errors.ts'
import { CONFIRMATION_DAYS, canConfirm, signUpStep } from '../domain/interest.ts'
import { queueMail } from '../mail/outbox.ts'
import { findCourse } from '../repositories/course-repository.ts'
import { lockNames } from '../repositories/lock-repository.ts'
import {
  findSubscription, findSubscriptionByConfirmHash, findSubscriptionByToken, insertPendingSubscription,
  setConfirmed, setPendingConfirmation, setUnsubscribed
} from '../repositories/interest-repository.ts'

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex')
const newToken = () => randomBytes(24).toString('base64url')

/**
 * "Tell me when there is a new class": a citizen leaves an e-mail on a course page. The
 * address gets one e-mail with a confirmation link and nothing else until the link is
 * used, so nobody can put someone else's address on the list. A pending address gets
 * another confirmation only after a pause, and an address already on the list gets
 * nothing; the page says the same in every case.
 */
export async function subscribeToCourse (db: Db, courseSlug: string, email: string, now: Date = new Date()): Promise<'sent' | 'nothing'> {
  return await db.transaction().execute(async tx => {
    const course = await findCourse(tx, courseSlug)
    if (!course) throw new DomainError('course_not_found')
    await lockNames(tx, [`interest:${courseSlug}:${email}`])
    const existing = await findSubscription(tx, courseSlug, email)
    const step = signUpStep(existing, now)
    if (step === 'nothing') return 'nothing'
    const at = now.toISOString()
    const confirmToken = newToken()
    if (!existing) {
      await insertPendingSubscription(tx, { course_slug: courseSlug, email, token: newToken(), confirm_token_hash: sha256(confirmToken), created_at: at })
    } else {
      await setPendingConfirmation(tx, existing.id, sha256(confirmToken), at, step === 'again' ? at : undefined)
    }
    await queueMail(tx, { kind: 'interest_confirm', courseSlug, courseTitle: course.title, confirmToken }, {
      recipient: email,
      expiresAt: new Date(now.getTime() + CONFIRMATION_DAYS * 86400_000).toISOString()
    }, now)
    return 'sent'
  })
}

export interface InterestConfirmation { courseTitle: string, courseSlug: string, confirmed: boolean }

/** A confirmation link works while its sign-up waits for it, and says "already" once used (until unsubscribed). */
const linkWorks = (sub: InterestSubscriptionRow, now: Date) => sub.confirmed_at !== null ? sub.unsubscribed_at === null : canConfirm(sub, now)

async function describe (db: Db, sub: InterestSubscriptionRow, confirmed: boolean): Promise<InterestConfirmation> {
  const course = await findCourse(db, sub.course_slug)
  return { courseTitle: course?.title ?? sub.course_slug, courseSlug: sub.course_slug, confirmed }
}

/** The sign-up a confirmation link belongs to, while the link works. */
export async function findConfirmation (db: Db, token: string, now: Date = new Date()): Promise<InterestConfirmation | undefined> {
  const sub = await findSubscriptionByConfirmHash(db, sha256(token))
  if (!sub || !linkWorks(sub, now)) return undefined
  return await describe(db, sub, sub.confirmed_at !== null)
}

/** Uses a confirmation link: from now on the address hears about new classes. Twice is harmless. */
export async function confirmInterest (db: Db, token: string, now: Date = new Date()): Promise<InterestConfirmation | undefined> {
  const sub = await findSubscriptionByConfirmHash(db, sha256(token))
  if (!sub || !linkWorks(sub, now)) return undefined
  // One conditional write; if it changed nothing, someone confirmed or unsubscribed meanwhile: tell the truth.
  if (sub.confirmed_at === null && !await setConfirmed(db, sub.id, now.toISOString())) return await findConfirmation(db, token, now)
  return await describe(db, sub, true)
}

export async function findInterest (db: Db, token: string): Promise<{ courseTitle: string, courseSlug: string, active: boolean } | undefined> {
  const sub = await findSubscriptionByToken(db, token)
  if (!sub) return undefined
  const course = await findCourse(db, sub.course_slug)
  return { courseTitle: course?.title ?? sub.course_slug, courseSlug: sub.course_slug, active: sub.unsubscribed_at === null }
}

/** Stops the e-mails; doing it twice is harmless. */
export async function unsubscribe (db: Db, token: string, now: Date = new Date()): Promise<boolean> {
  const sub = await findSubscriptionByToken(db, token)
  if (!sub) return false
  if (sub.unsubscribed_at === null) await setUnsubscribed(db, sub.id, now.toISOString())
  return true
}
