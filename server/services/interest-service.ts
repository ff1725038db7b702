import { randomBytes } from 'node:crypto'
import type { Db } from '../db/connection.ts'
import { DomainError } from '../domain/errors.ts'
import { queueMail } from '../mail/outbox.ts'
import { findCourse } from '../repositories/course-repository.ts'
import { lockNames } from '../repositories/lock-repository.ts'
import { findSubscription, findSubscriptionByToken, insertSubscription, setUnsubscribed } from '../repositories/interest-repository.ts'

/**
 * "Tell me when there is a new class": a citizen leaves an e-mail on a course page. A
 * receipt with a one-click unsubscribe link goes out at once, so an address someone else
 * typed in can stop it straight away.
 */
export async function subscribeToCourse (db: Db, courseSlug: string, email: string, now: Date = new Date()): Promise<'subscribed' | 'already'> {
  return await db.transaction().execute(async tx => {
    const course = await findCourse(tx, courseSlug)
    if (!course) throw new DomainError('course_not_found')
    await lockNames(tx, [`interest:${courseSlug}:${email}`])
    const existing = await findSubscription(tx, courseSlug, email)
    if (existing?.unsubscribed_at === null) return 'already'
    let token = existing?.token
    if (existing) await setUnsubscribed(tx, existing.id, null)
    else token = (await insertSubscription(tx, { course_slug: courseSlug, email, token: randomBytes(24).toString('base64url'), created_at: now.toISOString() })).token
    await queueMail(tx, { kind: 'interest_signed_up', courseSlug, courseTitle: course.title, unsubscribeToken: token as string }, { recipient: email }, now)
    return 'subscribed'
  })
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
