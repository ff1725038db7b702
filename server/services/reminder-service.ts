import { DateTime } from 'luxon'
import type { Db, Tx } from '../db/connection.ts'
import { type BookingWithPerson, findBookingById } from '../repositories/booking-repository.ts'
import { findClassRow, findMeeting } from '../repositories/class-repository.ts'
import { type Actor, actingStaffId } from '../domain/actor.ts'
import { dueReminderOffset, firstReminderMoment } from '../domain/reminders.ts'
import { DomainError } from '../domain/errors.ts'
import { ZONE } from '../domain/time.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { claimDueJob, ensureScheduledJob, finishJob, recordJobFailure } from '../repositories/scheduled-job-repository.ts'
import { deleteExpiredRequestCounts } from '../repositories/shared-state-repository.ts'
import { findCoursesBySlugs } from '../repositories/course-repository.ts'
import {
  type MeetingBooking, existingDedupeKeys, findBookingsOfClassesEndedBetween, findCancelledMeetingBookings, findMeetingBookings, setReminderCalled
} from '../repositories/reminder-repository.ts'
import { type ClassFacts } from '../mail/messages.ts'
import { classFacts, copyKeys, notifyBooking, smsRecipients } from './notification-service.ts'
import { expireOffers } from './offer-service.ts'
import { findCallTask, listCallTasks, markCallTaskCalled } from '../repositories/sms-repository.ts'
import { askComing } from './coming-service.ts'
import type { CallTaskEntry } from '../repositories/sms-repository.ts'

/** A meeting booking's contacts in the shape the notification service reads them. */
const contactOf = (b: MeetingBooking) => ({ email: b.email, booker_email: b.bookerEmail, phone: b.phone, booker_phone: b.bookerPhone, sms_consent: b.smsConsent })

const DAY = 24 * 3600_000
export const REMINDER_JOB = 'reminders'

/** What the schedule does each minute: queue due reminders and thank-yous, tidy up. */
export async function runReminderSchedule (db: Db, offsets: number[], now: Date = new Date()): Promise<{ reminders: number, thankYous: number }> {
  const reminders = await queueDueReminders(db, offsets, now)
  const thankYous = await queueThankYous(db, now)
  // "Kommer du?": asked, reminded and unanswered seats released when due (coming-service).
  await askComing(db, now)
  // Seat offers past their deadline expire, and their seats are offered on.
  await expireOffers(db, now)
  // Rate-limit counts (PostgreSQL) whose window has ended are forgotten here, each minute.
  await deleteExpiredRequestCounts(db, now.getTime())
  return { reminders, thankYous }
}

/**
 * The minute-by-minute schedule, for the server timers: of several servers asking in the
 * same minute one runs it. A server that dies while running it holds it for two minutes
 * at most; then another takes it. (Each message also has its own key, so even a run
 * repeated after such a lapse writes nothing twice.) True for the server that ran it.
 */
export async function runReminderScheduleIfDue (db: Db, offsets: number[], now: Date = new Date()): Promise<boolean> {
  const at = now.toISOString()
  await ensureScheduledJob(db, REMINDER_JOB, at)
  const lease = new Date(now.getTime() + 2 * 60_000).toISOString()
  if (!await claimDueJob(db, REMINDER_JOB, at, lease)) return false
  try {
    const { reminders, thankYous } = await runReminderSchedule(db, offsets, now)
    const nextMinute = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 60_000)
    await finishJob(db, REMINDER_JOB, lease, at, nextMinute.toISOString(), `Påmindelser: ${reminders}. Tak-for-i-dag: ${thankYous}.`)
  } catch (error) {
    // Tried again when the lease ends, by whichever server asks first.
    await recordJobFailure(db, REMINDER_JOB, `Fejlede ${at}; prøves igen om to minutter.`).catch(() => {})
    throw error
  }
  return true
}

/** A thank-you is not sent for classes that ended longer ago than this. */
const THANK_YOU_WINDOW_MS = 7 * DAY

/** The booking, read again inside the transaction, while it is confirmed on a class that goes ahead. */
async function stillConfirmed (tx: Tx, bookingId: number, classId: number): Promise<BookingWithPerson | undefined> {
  const [booking, cls] = await Promise.all([findBookingById(tx, bookingId), findClassRow(tx, classId)])
  return booking?.status === 'confirmed' && cls?.cancelled_at === null ? booking : undefined
}

const reminderKey = (b: Pick<MeetingBooking, 'bookingId' | 'meetingId' | 'startsAt'>, offset: number) =>
  `reminder:${b.bookingId}:${b.meetingId}:${b.startsAt}:${offset}m`

/**
 * Queues every reminder that is due now. Safe to run as often as one likes, from any
 * number of servers: each reminder has a key and is written once. A meeting moved to a
 * new time gets new reminders for the new time.
 */
export async function queueDueReminders (db: Db, offsets: number[], now: Date = new Date()): Promise<number> {
  if (offsets.length === 0) return 0
  // An hour more: a day offset across a daylight-saving change is 23 or 25 hours.
  const horizon = new Date(now.getTime() + (Math.max(...offsets) + 60) * 60_000)
  const candidates = (await findMeetingBookings(db, now.toISOString(), horizon.toISOString(), 'with'))
    .map(b => ({ b, offset: dueReminderOffset(b.startsAt, b.confirmedAt, offsets, now) }))
    .filter((c): c is { b: MeetingBooking, offset: number } => c.offset !== null)
  const keysOf = (c: { b: MeetingBooking, offset: number }) => copyKeys(reminderKey(c.b, c.offset), contactOf(c.b))
  const existing = await existingDedupeKeys(db, candidates.flatMap(keysOf))
  const facts = new Map<number, ClassFacts>()
  let queued = 0
  for (const c of candidates) {
    if (keysOf(c).every(k => existing.has(k))) continue
    queued += await db.transaction().execute(async tx => {
      // Read again inside the transaction: the booking or class may have changed since.
      const booking = await stillConfirmed(tx, c.b.bookingId, c.b.classId)
      if (!booking) return 0
      const cls = facts.get(c.b.classId) ?? await classFacts(tx, c.b.classId)
      facts.set(c.b.classId, cls)
      return await notifyBooking(tx, booking, 'reminder', { meetingId: c.b.meetingId }, now, {
        cls, dedupeKey: reminderKey(c.b, c.offset), expiresAt: c.b.startsAt
      })
    })
  }
  return queued
}

/**
 * Queues a thank-you, with the course's suggested next courses, to everyone confirmed on
 * a class whose last meeting has ended, who attended at least one meeting (within the last week, so that old classes are
 * not thanked when the platform is first started).
 */
export async function queueThankYous (db: Db, now: Date = new Date()): Promise<number> {
  const bookings = await findBookingsOfClassesEndedBetween(db, new Date(now.getTime() - THANK_YOU_WINDOW_MS).toISOString(), now.toISOString())
  const keys = bookings.flatMap(b => ['participant', 'booker'].map(to => `thanks:${b.bookingId}:${to}`))
  const existing = await existingDedupeKeys(db, keys)
  let queued = 0
  for (const b of bookings) {
    if (existing.has(`thanks:${b.bookingId}:participant`) || existing.has(`thanks:${b.bookingId}:booker`)) continue
    queued += await db.transaction().execute(async tx => {
      const booking = await stillConfirmed(tx, b.bookingId, b.classId)
      if (!booking) return 0
      const cls = await classFacts(tx, b.classId)
      const course = (await findCoursesBySlugs(tx, [cls.courseSlug]))[0]
      const next = (await findCoursesBySlugs(tx, course?.next ?? [])).map(n => ({ slug: n.slug, title: n.title }))
      return await notifyBooking(tx, booking, 'thank_you', { next }, now, { cls, dedupeKey: `thanks:${b.bookingId}` })
    })
  }
  return queued
}

export interface CallListEntry extends MeetingBooking {
  /** When the e-mail reminder would have gone out. */
  remindAt: string
  /** The class is cancelled: call to say so. */
  classCancelled: boolean
}

export interface CallList {
  day: string
  entries: CallListEntry[]
  /** Texts that did not arrive that day, and messages to a class for people without e-mail or texts. */
  tasks: CallTaskEntry[]
}

/**
 * The people without e-mail who would have had a reminder on a given day (Copenhagen
 * time): each booking appears on the day of its first reminder for each meeting. When
 * the class is cancelled, they are there once, to be told: on the day of the first
 * reminder of the first meeting they would have come to, or, cancelled later than
 * that, on the day it was cancelled.
 */
export async function getCallList (db: Db, day: string, offsets: number[]): Promise<CallList> {
  const start = DateTime.fromISO(day, { zone: ZONE }).startOf('day')
  const end = start.plus({ days: 1 })
  const reach = (Math.max(0, ...offsets) + 60) * 60_000
  const candidates = await findMeetingBookings(db, start.toUTC().toISO() as string, new Date(end.toMillis() + reach).toISOString(), 'without')
  const entries: CallListEntry[] = []
  for (const b of candidates) {
    const moment = firstReminderMoment(b.startsAt, b.confirmedAt, offsets)
    if (moment && moment.getTime() >= start.toMillis() && moment.getTime() < end.toMillis()) {
      entries.push({ ...b, remindAt: moment.toISOString(), classCancelled: false })
    }
  }
  const dayStart = start.toUTC().toISO() as string
  for (const { classCancelledAt, ...b } of await findCancelledMeetingBookings(db, dayStart, end.toUTC().toISO() as string)) {
    const reminder = firstReminderMoment(b.startsAt, b.confirmedAt, offsets)?.getTime() ?? 0
    const moment = Math.max(reminder, Date.parse(classCancelledAt))
    if (moment >= start.toMillis() && moment < end.toMillis()) entries.push({ ...b, remindAt: new Date(moment).toISOString(), classCancelled: true })
  }
  // Those a text reaches (a yes to texts, a mobile number, no STOP) are not phoned.
  const reached = new Set<number>()
  for (const e of entries) if ((await smsRecipients(db, contactOf(e))).length > 0) reached.add(e.bookingId)
  const phoned = entries.filter(e => !reached.has(e.bookingId))
  phoned.sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.name.localeCompare(b.name, 'da') || a.bookingId - b.bookingId)
  const isoDay = start.toISODate() as string
  return { day: isoDay, entries: phoned, tasks: await listCallTasks(db, isoDay) }
}

/**
 * Ticks (or unticks) "called" for one booking and meeting on the call list. Both must
 * exist and belong to the same class; otherwise nothing is written.
 */
export async function markCalled (db: Db, actor: Actor, bookingId: number, meetingId: number, called: boolean, now: Date = new Date()): Promise<void> {
  const staffId = actingStaffId(actor)
  await db.transaction().execute(async tx => {
    // An unknown booking or meeting, or one of another class, is a 404, never a foreign-key error.
    const booking = await findBookingById(tx, bookingId)
    const meeting = await findMeeting(tx, meetingId)
    if (!booking || !meeting) throw new DomainError(booking ? 'meeting_not_found' : 'booking_not_found')
    if (booking.class_id !== meeting.class_id) throw new DomainError('booking_not_on_class')
    await setReminderCalled(tx, bookingId, meetingId, staffId, called ? now.toISOString() : null)
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: called ? 'reminder_called' : 'reminder_call_undone', subject_type: 'booking', subject_id: bookingId, detail: `meeting=${meetingId}` })
  })
}

/**
 * Ticks (or unticks) "called" for a call task on the call list: a text that did not
 * arrive, or a message to the class read aloud. False when there is no such task.
 */
export async function markCallTaskDone (db: Db, actor: Actor, taskId: number, called: boolean, now: Date = new Date()): Promise<boolean> {
  const staffId = actingStaffId(actor)
  return await db.transaction().execute(async tx => {
    const task = await findCallTask(tx, taskId)
    if (!task) return false
    await markCallTaskCalled(tx, taskId, staffId, called ? now.toISOString() : null)
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: called ? 'call_task_called' : 'call_task_call_undone', subject_type: 'booking', subject_id: task.booking_id, detail: `task=${taskId} reason=${task.reason}` })
    return true
  })
}
