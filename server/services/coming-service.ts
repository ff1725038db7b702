import type { Db, Tx } from '../db/connection.ts'
import type { Actor } from '../domain/actor.ts'
import { askMoment, comingReminderMoment, releaseAt, releaseMoment } from '../domain/coming.ts'
import { DomainError } from '../domain/errors.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { type BookingWithPerson, findBookingById, findBookingByToken, setBookingStatus } from '../repositories/booking-repository.ts'
import { listMeetings, lockClass } from '../repositories/class-repository.ts'
import {
  type ClassToAsk, findClassesBeforeStart, findOpenQuestionOfNumber, listBookingsToAsk, listOpenQuestions, markComingAsked, setComing
} from '../repositories/coming-repository.ts'
import { withdrawQueued } from '../repositories/outbox-repository.ts'
import { existingDedupeKeys } from '../repositories/reminder-repository.ts'
import { cancelLocked, promoteFromWaitlist } from './booking-service.ts'
import { classFacts, copyKeys, notifyBooking } from './notification-service.ts'

/**
 * "Kommer du?" before the first meeting.
 *
 * - Asked `confirm_days` calendar days before the first meeting (Copenhagen), at the same
 *   time of day, of classes that go ahead whose `confirm_mode` is 'always', or 'auto' with
 *   someone on the waiting list when the schedule runs at or after that moment. Each
 *   confirmed booking that had its seat at that moment is asked once (`coming_asked_at`),
 *   by e-mail and text (`coming_request`) and on its booking page. Those who get a seat
 *   later have just booked or just been told; they are not asked.
 * - JA records the answer; NEJ cancels the booking at once, as the citizen's own cancelling
 *   does, and the seat goes on by the class's mode.
 * - With `release_hours`, a booking asked at least RELEASE_NOTICE_MS before the release
 *   moment (`release_hours` before the start) is told so in the question, gets one
 *   reminder (`coming_reminder`) halfway between being asked and the release, and at the
 *   release moment, still unanswered, loses its seat: cancelled with cancelled_by
 *   'released' (neither the citizen nor staff did it), told (`coming_released`), and the
 *   seat goes on by the class's mode under the class lock. Someone who said JA is never
 *   released. A class that turns "Kommer du?" off stops asking, reminding and releasing.
 */

const DAY = 24 * 3600_000
/** The furthest "Kommer du?" is asked ahead (confirm_days is at most 14), and an hour for a daylight-saving change. */
const HORIZON = 15 * DAY

const askKey = (bookingId: number) => `coming:${bookingId}`
const reminderKey = (bookingId: number) => `coming-reminder:${bookingId}`

/** The booking, read again inside the transaction, while it is confirmed and unanswered. */
async function stillOpen (tx: Tx, bookingId: number): Promise<BookingWithPerson | undefined> {
  const booking = await findBookingById(tx, bookingId)
  return booking?.status === 'confirmed' && booking.coming === null ? booking : undefined
}

/**
 * The per-minute part of the reminder schedule: asks, reminds and releases what is due.
 * Safe to run as often as one likes, from any number of servers: each question is marked
 * once, each message has its key, and a release re-reads under the class lock.
 */
export async function askComing (db: Db, now: Date = new Date()): Promise<{ asked: number, reminded: number, released: number }> {
  const at = now.toISOString()
  const classes = await findClassesBeforeStart(db, at, new Date(now.getTime() + HORIZON).toISOString())
  let asked = 0
  let reminded = 0
  let released = 0
  for (const cls of classes) {
    asked += await askClass(db, cls, now)
    if (cls.releaseHours === null) continue
    if (now.getTime() >= releaseMoment(cls.firstStartsAt, cls.releaseHours)) released += await releaseUnanswered(db, cls, now)
    else reminded += await remindUnanswered(db, cls, now)
  }
  return { asked, reminded, released }
}

async function askClass (db: Db, cls: ClassToAsk, now: Date): Promise<number> {
  const moment = askMoment(cls.firstStartsAt, cls.confirmDays)
  if (now.getTime() < moment) return 0
  if (cls.confirmMode === 'auto' && cls.waiting === 0) return 0
  let asked = 0
  for (const bookingId of await listBookingsToAsk(db, cls.classId, new Date(moment).toISOString())) {
    asked += await db.transaction().execute(async tx => {
      const at = now.toISOString()
      if (!await markComingAsked(tx, bookingId, at)) return 0
      await notifyBooking(tx, bookingId, 'coming_request', { releaseAt: releaseAt(at, cls.firstStartsAt, cls.releaseHours) }, now, {
        dedupeKey: askKey(bookingId), expiresAt: cls.firstStartsAt
      })
      return 1
    })
  }
  return asked
}

/** The one reminder, halfway between asking and the release, to those whose seat will go. */
async function remindUnanswered (db: Db, cls: ClassToAsk, now: Date): Promise<number> {
  const due = (await listOpenQuestions(db, cls.classId)).flatMap(q => {
    const release = releaseAt(q.askedAt, cls.firstStartsAt, cls.releaseHours)
    return release !== null && now.getTime() >= comingReminderMoment(q.askedAt, release) ? [{ id: q.id, release }] : []
  })
  if (due.length === 0) return 0
  const rows = []
  for (const d of due) rows.push({ d, booking: await findBookingById(db, d.id) })
  const existing = await existingDedupeKeys(db, rows.flatMap(r => r.booking ? copyKeys(reminderKey(r.d.id), r.booking) : []))
  let reminded = 0
  for (const { d, booking } of rows) {
    if (!booking) continue
    const keys = copyKeys(reminderKey(d.id), booking)
    if (keys.length === 0 || keys.every(k => existing.has(k))) continue
    reminded += await db.transaction().execute(async tx => {
      const open = await stillOpen(tx, d.id)
      if (!open) return 0
      return await notifyBooking(tx, open, 'coming_reminder', { releaseAt: d.release }, now, { dedupeKey: reminderKey(d.id), expiresAt: d.release })
    })
  }
  return reminded
}

/** At the release moment: unanswered seats of those who were told go on, under the class lock. */
async function releaseUnanswered (db: Db, cls: ClassToAsk, now: Date): Promise<number> {
  const due = (await listOpenQuestions(db, cls.classId)).filter(q => releaseAt(q.askedAt, cls.firstStartsAt, cls.releaseHours) !== null)
  if (due.length === 0) return 0
  const at = now.toISOString()
  return await db.transaction().execute(async tx => {
    const locked = await lockClass(tx, cls.classId)
    if (!locked || locked.cancelled_at !== null || locked.confirm_mode === 'off') return 0
    const [first] = await listMeetings(tx, [cls.classId])
    if (!first || first.starts_at <= at) return 0
    // Read again under the lock: a JA or a cancellation may have come meanwhile.
    const ids = (await listOpenQuestions(tx, cls.classId))
      .filter(q => releaseAt(q.askedAt, first.starts_at, locked.release_hours) !== null && now.getTime() >= releaseMoment(first.starts_at, locked.release_hours ?? 0))
      .map(q => q.id)
    if (ids.length === 0) return 0
    const facts = await classFacts(tx, cls.classId)
    await setBookingStatus(tx, ids, 'cancelled', at, 'released')
    await withdrawQueued(tx, { bookingIds: ids }, 'Pladsen gik videre, fordi der ikke kom svar på «Kommer du?».')
    const release = new Date(releaseMoment(first.starts_at, locked.release_hours ?? 0)).toISOString()
    for (const id of ids) await notifyBooking(tx, id, 'coming_released', { releaseAt: release }, now, { cls: facts, dedupeKey: `coming-released:${id}` })
    await promoteFromWaitlist(tx, locked, at)
    return ids.length
  })
}

/** What an answer did, for the page or the text that gave it. */
export type ComingOutcome =
  /** JA recorded (or recorded already). */
  | 'yes'
  /** NEJ: the booking is cancelled and its seat has gone on. */
  | 'no'
  /** The booking was cancelled before this answer: nothing changed. */
  | 'already_cancelled'
  /** The class has begun: answers are no longer taken. */
  | 'started'
  /** No question is open: the booking has no seat (waiting list) or was not asked. */
  | 'not_asked'

/**
 * An answer to "Kommer du?" for the booking whose private link is `token` (the booking
 * page; the e-mail's buttons lead there). JA records it (again: harmless); NEJ cancels the
 * booking under the class lock and the seat goes on by the class's mode. `via` says where
 * the answer came from ('page', or 'staff' for a call, which is audit-logged).
 */
export async function answerComing (db: Db, actor: Actor, token: string, answer: 'yes' | 'no', via: 'page' | 'staff', now: Date = new Date()): Promise<ComingOutcome> {
  return await db.transaction().execute(async tx => {
    const booking = await findBookingByToken(tx, token)
    if (!booking) throw new DomainError('booking_not_found')
    const outcome = await answerLocked(tx, booking.id, answer, now)
    if (actor.kind === 'staff' && (outcome === 'yes' || outcome === 'no')) {
      await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: actor.staffId, action: `coming_${outcome}`, subject_type: 'booking', subject_id: booking.id, detail: `via=${via}` })
    }
    return outcome
  })
}

/** The answer, given under the class lock, with the booking read again under it. */
async function answerLocked (tx: Tx, bookingId: number, answer: 'yes' | 'no', now: Date): Promise<ComingOutcome> {
  const at = now.toISOString()
  const first = await findBookingById(tx, bookingId)
  if (!first) throw new DomainError('booking_not_found')
  const cls = await lockClass(tx, first.class_id)
  if (!cls) throw new DomainError('class_not_found')
  const booking = await findBookingById(tx, bookingId)
  if (!booking || booking.status === 'cancelled') return 'already_cancelled'
  const [meeting] = await listMeetings(tx, [cls.id])
  if (!meeting || meeting.starts_at <= at) return 'started'
  if (booking.status !== 'confirmed' || booking.coming_asked_at === null) return 'not_asked'
  if (answer === 'yes') {
    if (booking.coming !== 'yes') await setComing(tx, booking.id, 'yes', at)
    return 'yes'
  }
  await setComing(tx, booking.id, 'no', at)
  await cancelLocked(tx, cls, booking, 'participant', now)
  return 'no'
}

/**
 * A JA or NEJ by text from `msisdn` to an open "Kommer du?" question: the booking of that
 * number (the participant's or the booker's) asked and unanswered, whose class starts
 * soonest. Returns the booking id it answered, or null when the number has no open
 * question (then the text is a reply for staff to read).
 */
export async function answerComingByText (tx: Tx, msisdn: string, answer: 'yes' | 'no', _providerId: string | null, now: Date): Promise<number | null> {
  const open = await findOpenQuestionOfNumber(tx, `+${msisdn}`, now.toISOString())
  if (!open) return null
  const outcome = await answerLocked(tx, open.id, answer, now)
  return outcome === 'yes' || outcome === 'no' ? open.id : null
}
