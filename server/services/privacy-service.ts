import { DateTime } from 'luxon'
import type { Db } from '../db/connection.ts'
import { type Actor, actingStaffId } from '../domain/actor.ts'
import { DomainError } from '../domain/errors.ts'
import { confirmationCutoff } from '../domain/interest.ts'
import { ZONE } from '../domain/time.ts'
import { listAttendancesOfBookings } from '../repositories/attendance-repository.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { listGoalTicks } from '../repositories/learning-repository.ts'
import { listMilestonesOfParticipant } from '../repositories/milestone-repository.ts'
import { findParticipant, listBookingsOfParticipant } from '../repositories/participant-repository.ts'
import { findBookingById, setBookingStatus } from '../repositories/booking-repository.ts'
import { listMeetings, lockClass } from '../repositories/class-repository.ts'
import { withdrawQueued } from '../repositories/outbox-repository.ts'
import { promoteFromWaitlist } from './booking-service.ts'
import { listInboundOfBookings, listOutboxOfBookings, listInterestOfEmail } from '../repositories/privacy-repository.ts'
import {
  anonymiseParticipants, clearSourceKeysBefore, countAnonymised, deleteOldInterest, findEarliestLastMeeting, findParticipantsLastSeenBefore
} from '../repositories/retention-repository.ts'
import { claimDueJob, ensureScheduledJob, findScheduledJob, finishJob, recordJobFailure } from '../repositories/scheduled-job-repository.ts'

export const RETENTION_JOB = 'retention'

/** Days the keyed hash of an online booking's address is kept (for the burst flag and the limits). */
export const SOURCE_KEY_DAYS = 7

/** The moment before which a last meeting is too old to keep the person's data. */
export function retentionCutoff (now: Date, months: number): string {
  return DateTime.fromJSDate(now).setZone(ZONE).minus({ months }).toUTC().toISO() as string
}

/** The daily run: 03:00 Copenhagen time, the next one after `now`. */
export function nextDailyRun (now: Date): string {
  const local = DateTime.fromJSDate(now).setZone(ZONE)
  let next = local.set({ hour: 3, minute: 0, second: 0, millisecond: 0 })
  if (next <= local) next = next.plus({ days: 1 })
  return next.toUTC().toISO() as string
}

/**
 * Anonymises every participant whose last meeting ended more than `months` ago, and
 * deletes interest-list addresses as old (and sign-ups not confirmed within
 * CONFIRMATION_DAYS of their last confirmation e-mail). Bookings, attendances and milestones stay,
 * so every count and report gives the same numbers after as before.
 */
export async function anonymiseExpired (db: Db, months: number, now: Date = new Date()): Promise<{ participants: number, bookings: number, interest: number }> {
  const at = now.toISOString()
  const cutoff = retentionCutoff(now, months)
  return await db.transaction().execute(async tx => {
    const ids = await findParticipantsLastSeenBefore(tx, cutoff)
    const done = await anonymiseParticipants(tx, ids, at, { eraseBirthYear: false, deleteInterest: false })
    const interest = await deleteOldInterest(tx, cutoff, confirmationCutoff(now))
    // Where an online booking came from is kept only for a week, to limit and flag bursts.
    await clearSourceKeysBefore(tx, DateTime.fromJSDate(now).minus({ days: SOURCE_KEY_DAYS }).toUTC().toISO() as string)
    if (done.participants + interest > 0) {
      await insertAuditEntry(tx, { at, staff_user_id: null, action: 'retention_anonymised', subject_type: null, subject_id: null, detail: `participants=${done.participants} bookings=${done.bookings} interest=${interest}` })
    }
    return { ...done, interest }
  })
}

/**
 * Runs the retention job when it is due (daily at 03:00, and at first start). With
 * several servers, exactly one of them runs each due moment. A run that fails is shown
 * on the Persondata page and tried again an hour later.
 */
export async function runRetentionIfDue (db: Db, months: number, now: Date = new Date()): Promise<boolean> {
  const at = now.toISOString()
  await ensureScheduledJob(db, RETENTION_JOB, at)
  const lease = new Date(now.getTime() + 3600_000).toISOString()
  if (!await claimDueJob(db, RETENTION_JOB, at, lease)) return false
  try {
    const r = await anonymiseExpired(db, months, now)
    await finishJob(db, RETENTION_JOB, lease, at, nextDailyRun(now), `Anonymiseret: ${r.participants} deltagere, ${r.bookings} tilmeldinger. Slettet fra interesselister: ${r.interest}.`)
  } catch (error) {
    await recordJobFailure(db, RETENTION_JOB, `Fejlede ${DateTime.fromJSDate(now).setZone(ZONE).toFormat('dd.MM.yyyy HH.mm')}; prøves igen om en time.`)
    throw error
  }
  return true
}

export interface RetentionStatus {
  months: number
  nextRunAt: string
  lastRunAt: string | null
  lastResult: string | null
  /** How many will be anonymised at the next run. */
  dueAtNextRun: number
  /** When the next person reaches the limit (if nobody books again). */
  nextExpiryAt: string | null
  anonymised: number
}

export async function getRetentionStatus (db: Db, months: number, now: Date = new Date()): Promise<RetentionStatus> {
  const job = await findScheduledJob(db, RETENTION_JOB)
  const nextRunAt = job && job.next_run_at > now.toISOString() ? job.next_run_at : now.toISOString()
  const earliest = await findEarliestLastMeeting(db)
  return {
    months,
    nextRunAt,
    lastRunAt: job?.last_run_at ?? null,
    lastResult: job?.last_result ?? null,
    dueAtNextRun: (await findParticipantsLastSeenBefore(db, retentionCutoff(new Date(nextRunAt), months))).length,
    nextExpiryAt: earliest === null ? null : DateTime.fromISO(earliest, { zone: 'utc' }).plus({ months }).toUTC().toISO(),
    anonymised: await countAnonymised(db)
  }
}

export interface ParticipantExport {
  exportedAt: string
  participant: { id: number, name: string, phone: string | null, email: string | null, birthYear: number | null, createdAt: string, anonymisedAt: string | null }
  bookings: Array<{
    course: string
    place: string
    meetings: string[]
    status: string
    source: string
    createdAt: string
    confirmedAt: string | null
    cancelledAt: string | null
    /** The phone and e-mail given in this booking (messages about it go there). */
    contact: { phone: string | null, email: string | null }
    needs: { companion: boolean, hearingLoop: boolean, other: string | null }
    bookedBy: { name: string, phone: string | null, email: string | null } | null
    staffNote: string | null
    device: string | null
    attended: string[]
    learningGoalsReached: string[]
    /** Yes to text messages about this booking. */
    smsConsent: boolean
    emails: Array<{ subject: string, to: string, status: string, createdAt: string, sentAt: string | null }>
    /** Texts about the booking: the words as sent (or what it is about, until then), to which number. */
    texts: Array<{ text: string, to: string, status: string, delivery: string | null, createdAt: string, sentAt: string | null }>
    /** Texts to our number matched to this booking (STOP, START and replies). */
    textsReceived: Array<{ text: string, from: string, receivedAt: string }>
  }>
  milestones: string[]
  interestList: Array<{ course: string, since: string, unsubscribedAt: string | null }>
}

/** Everything we hold about one participant, for a request for access (GDPR art. 15). */
export async function exportParticipant (db: Db, id: number, now: Date = new Date()): Promise<ParticipantExport | undefined> {
  const p = await findParticipant(db, id)
  if (!p) return undefined
  const list = await listBookingsOfParticipant(db, id)
  const ids = list.map(b => b.id)
  const [attendances, ticks, meetings, mails, inbound, milestones, interest] = await Promise.all([
    listAttendancesOfBookings(db, ids), listGoalTicks(db, ids), listMeetings(db, [...new Set(list.map(b => b.classId))]),
    listOutboxOfBookings(db, ids), listInboundOfBookings(db, ids), listMilestonesOfParticipant(db, id), p.email ? listInterestOfEmail(db, p.email) : []
  ])
  const startOf = new Map(meetings.map(m => [m.id, m.starts_at]))
  const bookings = []
  for (const b of list) {
    const full = await findBookingById(db, b.id)
    if (!full) continue
    bookings.push({
      course: b.courseTitle,
      place: b.locationName,
      meetings: meetings.filter(m => m.class_id === b.classId).map(m => m.starts_at),
      status: b.status,
      source: full.source,
      createdAt: full.created_at,
      confirmedAt: full.confirmed_at,
      cancelledAt: full.cancelled_at,
      contact: { phone: full.phone, email: full.email },
      needs: { companion: full.needs_companion === 1, hearingLoop: full.needs_hearing_loop === 1, other: full.needs_other },
      bookedBy: full.booker_name ? { name: full.booker_name, phone: full.booker_phone, email: full.booker_email } : null,
      staffNote: full.staff_note,
      device: full.device,
      attended: attendances.filter(a => a.bookingId === b.id).map(a => startOf.get(a.meetingId) ?? ''),
      learningGoalsReached: ticks.filter(t => t.bookingId === b.id).map(t => t.goal),
      smsConsent: full.sms_consent === 1,
      emails: mails.filter(m => m.bookingId === b.id && m.channel === 'email').map(m => ({ subject: m.subject, to: m.recipient, status: m.status, createdAt: m.createdAt, sentAt: m.sentAt })),
      texts: mails.filter(m => m.bookingId === b.id && m.channel === 'sms').map(m => ({ text: m.subject, to: m.recipient, status: m.status, delivery: m.deliveryStatus, createdAt: m.createdAt, sentAt: m.sentAt })),
      textsReceived: inbound.filter(r => r.bookingId === b.id).map(r => ({ text: r.text, from: r.from, receivedAt: r.receivedAt }))
    })
  }
  return {
    exportedAt: now.toISOString(),
    participant: { id: p.id, name: p.name, phone: p.phone, email: p.email, birthYear: p.birth_year, createdAt: p.created_at, anonymisedAt: p.anonymised_at },
    bookings,
    milestones: milestones.map(m => `Deltager nr. ${m.number} (${m.scope}), ${m.reachedAt}`),
    interestList: interest
  }
}

/**
 * Erases a participant on request (GDPR art. 17): their personal data goes as with
 * retention, the birth year too, and the interest list by their address. What stays is
 * anonymous and keeps the counts. The audit log records who did it, and no personal data.
 */
export async function eraseParticipant (db: Db, actor: Actor, id: number, now: Date = new Date()): Promise<void> {
  const staffId = actingStaffId(actor)
  const at = now.toISOString()
  await db.transaction().execute(async tx => {
    const p = await findParticipant(tx, id)
    if (!p) throw new DomainError('participant_not_found')
    // Seats on classes still to come are given up, and the waiting list moves up. No
    // e-mail goes to the person: they asked to be forgotten.
    for (const b of await listBookingsOfParticipant(tx, id)) {
      if (b.status === 'cancelled') continue
      const cls = await lockClass(tx, b.classId)
      const last = (await listMeetings(tx, [b.classId])).at(-1)
      if (!cls || !last || last.ends_at <= at) continue
      await setBookingStatus(tx, [b.id], 'cancelled', at, 'staff')
      await withdrawQueued(tx, { bookingIds: [b.id] }, 'Deltageren bad om at blive slettet.')
      await promoteFromWaitlist(tx, cls, at)
    }
    const done = await anonymiseParticipants(tx, [id], at, { eraseBirthYear: true, deleteInterest: true })
    await insertAuditEntry(tx, { at, staff_user_id: staffId, action: 'participant_erased', subject_type: 'participant', subject_id: id, detail: `bookings=${done.bookings}` })
  })
}
