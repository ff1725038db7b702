import { randomUUID } from 'node:crypto'
import type { Db, Tx } from '../db/connection.ts'
import type { CheckinVia } from '../db/schema.ts'
import { type Actor, actingStaffId, auditStaffId } from '../domain/actor.ts'
import { isSamePerson } from '../domain/booking-form.ts'
import { newBookingToken } from '../domain/booking-token.ts'
import { DomainError } from '../domain/errors.ts'
import { copenhagenDate } from '../domain/time.ts'
import { withdrawQueued } from '../repositories/outbox-repository.ts'
import { type MeetingContext, deleteAttendance, findMeetingContext, insertAttendance, listAttendancesOfBookings } from '../repositories/attendance-repository.ts'
import { type BookingWithPerson, WITHOUT_NEEDS_OR_BOOKER, findBookingById, insertBooking, listActiveBookings, markOverCapacity, setBookingStatus } from '../repositories/booking-repository.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { claimCheckinKey, findBookingByCode, findCheckinAction, recordCheckinResult } from '../repositories/checkin-repository.ts'
import { listMeetings, lockClass } from '../repositories/class-repository.ts'
import { listMilestoneRules } from '../repositories/milestone-repository.ts'
import { type MilestoneHit, type MilestoneMove, countFirstAttendance, lockMilestoneScopes, uncountAttendance } from './milestone-service.ts'
import { notifyBooking } from './notification-service.ts'
import { findOrCreateParticipant } from './participant-service.ts'

/**
 * The door's writes: one check-in action (in, out, by code, a walk-in) in its own
 * transaction, at most once per idempotency key, and a leader's corrections from a
 * paper list. Milestone counting is in milestone-service; what the door shows is in
 * door-view-service.
 */

export interface CheckinOptions {
  /** A leader may let a walk-in in beyond the seats even when the class does not allow it (the door decides: decideDoorAccess). */
  mayOverfill?: boolean
  now?: Date
}

/** Who checked someone in, as the check-in rows record it: a staff user, a PIN link's tablet, or neither. */
interface CheckinBy { staffId: number | null, linkId: number | null, mayOverfill: boolean }

export interface WalkInPerson { name: string, phone: string | null, email: string | null }

export type CheckinAction =
  | { key: string, type: 'in', bookingId: number }
  | { key: string, type: 'out', bookingId: number }
  | { key: string, type: 'code', code: string }
  | { key: string, type: 'walkin', person: WalkInPerson, overfill: boolean }

export type CheckinOutcome = 'checked_in' | 'already_checked_in' | 'undone' | 'not_checked_in'

export interface CheckinResult {
  key: string
  outcome: CheckinOutcome
  bookingId: number
  name: string
  /** True when the booking got a seat at the door (walk-in, or from the waiting list). */
  seated: boolean
  overCapacity: boolean
  milestones: MilestoneHit[]
  /** Milestones an undo took from this person, and who has them now. */
  milestonesMoved: MilestoneMove[]
  /** True when this answer is the stored one for a key sent before. */
  replayed: boolean
}

/** The idempotency key a tablet or a form sends with each action. */
export const CHECKIN_KEY = /^[A-Za-z0-9_.:-]{8,100}$/

export function newCheckinKey (): string {
  return randomUUID()
}

/** A tablet checks in on the meeting's own day; a paper list is entered once it has begun. */
function assertWhen (ctx: MeetingContext, via: CheckinVia, now: Date): void {
  if (via === 'paper') {
    if (ctx.meeting.starts_at > now.toISOString() && copenhagenDate(ctx.meeting.starts_at) !== copenhagenDate(now)) throw new DomainError('meeting_not_started')
    return
  }
  if (copenhagenDate(ctx.meeting.starts_at) !== copenhagenDate(now)) throw new DomainError('not_checkin_day')
}

/**
 * Runs one check-in action in its own transaction, at most once per key. The key is
 * claimed first, with a write (which also takes SQLite's write lock, and on PostgreSQL
 * makes a second copy of the same key wait for the first to commit); a key seen before
 * returns the answer it got then and changes nothing. A key is bound to its meeting and
 * action: sent with another, it is refused rather than answered with someone else's result.
 */
export async function runCheckinAction (db: Db, actor: Actor, meetingId: number, action: CheckinAction, opts: CheckinOptions = {}): Promise<CheckinResult> {
  if (!CHECKIN_KEY.test(action.key)) throw new TypeError('invalid idempotency key')
  const { now = new Date() } = opts
  const by: CheckinBy = { staffId: auditStaffId(actor), linkId: actor.kind === 'door' ? actor.linkId : null, mayOverfill: opts.mayOverfill ?? false }
  const at = now.toISOString()
  return await db.transaction().execute(async tx => {
    const claimed = await claimCheckinKey(tx, { idempotency_key: action.key, meeting_id: meetingId, booking_id: null, action: action.type, result_json: '{}', at, staff_user_id: by.staffId, link_id: by.linkId })
    if (!claimed) {
      const seen = await findCheckinAction(tx, action.key)
      if (!seen || seen.meeting_id !== meetingId || seen.action !== action.type || seen.result_json === '{}') throw new DomainError('checkin_key_reused')
      const stored = JSON.parse(seen.result_json) as CheckinResult
      // Names are not kept with the key; the bookings give the names as they are now.
      const booking = await findBookingById(tx, stored.bookingId)
      const moved: MilestoneMove[] = []
      for (const m of stored.milestonesMoved ?? []) {
        const holder = m.holder?.here === true ? await findBookingById(tx, m.holder.bookingId) : undefined
        moved.push(m.holder ? { ...m, holder: { ...m.holder, name: holder?.name ?? null } } : m)
      }
      return { ...stored, name: booking?.name ?? '', milestonesMoved: moved, replayed: true }
    }
    const ctx = await findMeetingContext(tx, meetingId)
    if (!ctx) throw new DomainError('meeting_not_found')
    const via: CheckinVia = action.type === 'code' ? 'code' : action.type === 'walkin' ? 'walkin' : 'tablet'
    assertWhen(ctx, via, now)
    const result = await perform(tx, ctx, action, by, via, now)
    const stored = { ...result, name: '', milestonesMoved: result.milestonesMoved.map(m => m.holder ? { ...m, holder: { ...m.holder, name: null } } : m) }
    await recordCheckinResult(tx, action.key, result.bookingId, JSON.stringify(stored))
    return result
  })
}

async function perform (tx: Tx, ctx: MeetingContext, action: CheckinAction, by: CheckinBy, via: CheckinVia, now: Date): Promise<CheckinResult> {
  const base = { key: action.key, replayed: false, milestonesMoved: [] }
  if (action.type === 'walkin') {
    const { booking, seated, overCapacity } = await seatWalkIn(tx, ctx, action.person, by.mayOverfill && action.overfill, now)
    return { ...base, ...(await checkInBooking(tx, ctx, booking, by.staffId, via, now)), seated, overCapacity }
  }
  let bookingId: number
  if (action.type === 'code') {
    const found = await findBookingByCode(tx, ctx.classId, action.code)
    if (!found) throw new DomainError('code_not_found')
    bookingId = found.id
  } else {
    bookingId = action.bookingId
  }
  const booking = await findBookingById(tx, bookingId)
  if (!booking || booking.class_id !== ctx.classId) throw new DomainError('booking_not_on_class')
  if (action.type === 'out') {
    const { outcome, moved } = await undoCheckIn(tx, ctx, booking, now)
    // A walk-in taken back (a mistake at the door) gives their seat back too.
    if (outcome === 'undone' && booking.source === 'walkin' && (await listAttendancesOfBookings(tx, [booking.id])).length === 0) {
      await setBookingStatus(tx, [booking.id], 'cancelled', now.toISOString(), 'staff')
      await withdrawQueued(tx, { bookingIds: [booking.id] }, 'Deltageren ved døren blev fortrudt.')
    }
    return { ...base, outcome, bookingId, name: booking.name, seated: false, overCapacity: booking.over_capacity === 1, milestones: [], milestonesMoved: moved }
  }
  if (booking.status === 'cancelled') throw new DomainError('booking_cancelled')
  let seated = false
  let overCapacity = booking.over_capacity === 1
  if (booking.status === 'waitlisted') {
    // On the waiting list but here at the door: a free seat (or the leader's overfill) lets them in.
    const seat = await takeSeat(tx, ctx, by.mayOverfill)
    await setBookingStatus(tx, [booking.id], 'confirmed', now.toISOString())
    if (seat === 'over') await markOverCapacity(tx, booking.id)
    seated = true
    overCapacity = seat === 'over'
  }
  return { ...base, ...(await checkInBooking(tx, ctx, booking, by.staffId, via, now)), seated, overCapacity }
}

/** A seat for someone at the door, under the class lock: a free one, or one beyond capacity when allowed. */
async function takeSeat (tx: Tx, ctx: MeetingContext, overfill: boolean): Promise<'free' | 'over'> {
  const cls = await lockClass(tx, ctx.classId)
  if (!cls) throw new DomainError('class_not_found')
  if (cls.cancelled_at !== null) throw new DomainError('class_cancelled')
  const confirmed = (await listActiveBookings(tx, ctx.classId)).filter(b => b.status === 'confirmed').length
  if (confirmed < cls.capacity) return 'free'
  if (cls.walkins_over_capacity === 1 || overfill) return 'over'
  throw new DomainError('walkin_class_full')
}

/**
 * A person who came without a booking. Someone already on the class (same name and a
 * phone or e-mail in common) is checked in on their own booking; anyone else gets a new
 * booking made at the door ("walkin"), with a seat if one is free or beyond the seats
 * when the leader allows it, and counts as attended.
 */
async function seatWalkIn (tx: Tx, ctx: MeetingContext, person: WalkInPerson, overfill: boolean, now: Date): Promise<{ booking: BookingWithPerson, seated: boolean, overCapacity: boolean }> {
  const at = now.toISOString()
  if (!await lockClass(tx, ctx.classId)) throw new DomainError('class_not_found')
  const active = await listActiveBookings(tx, ctx.classId)
  const me = { name: person.name, contacts: [person.phone, person.email] }
  const known = active.find(b => isSamePerson(me, { name: b.name, contacts: [b.phone, b.email, b.booker_phone, b.booker_email] }))
  if (known?.status === 'confirmed') return { booking: known, seated: false, overCapacity: known.over_capacity === 1 }
  const seat = await takeSeat(tx, ctx, overfill)
  let bookingId: number
  if (known) {
    await setBookingStatus(tx, [known.id], 'confirmed', at)
    bookingId = known.id
  } else {
    const participantId = await findOrCreateParticipant(tx, { name: person.name, phone: person.phone, email: person.email, birthYear: null, needsCompanion: false, needsHearingLoop: false, needsOther: null, booker: null, smsConsent: false }, at)
    bookingId = (await insertBooking(tx, {
      class_id: ctx.classId,
      participant_id: participantId,
      token: newBookingToken(),
      status: 'confirmed',
      source: 'walkin',
      person_name: person.name,
      person_birth_year: null,
      contact_phone: person.phone,
      contact_email: person.email,
      ...WITHOUT_NEEDS_OR_BOOKER,
      created_at: at,
      confirmed_at: at
    })).id
  }
  if (seat === 'over') await markOverCapacity(tx, bookingId)
  // A confirmation only helps when there are meetings still to come.
  const later = (await listMeetings(tx, [ctx.classId])).some(m => m.starts_at > ctx.meeting.starts_at)
  if (later) await notifyBooking(tx, bookingId, 'booking_confirmed', {}, now)
  const booking = await findBookingById(tx, bookingId)
  if (!booking) throw new DomainError('booking_not_found')
  return { booking, seated: true, overCapacity: seat === 'over' }
}

/**
 * Records the attendance, and counts the participant toward milestones where this is
 * their first attended meeting (milestone-service, under the scope locks).
 */
async function checkInBooking (tx: Tx, ctx: MeetingContext, booking: BookingWithPerson, staffId: number | null, via: CheckinVia, now: Date): Promise<{ outcome: CheckinOutcome, bookingId: number, name: string, milestones: MilestoneHit[] }> {
  // Read before the scope locks, which every check-in at every place waits for. A rule
  // added meanwhile counts from the next check-in, as if it had come a moment later; the
  // numbers themselves are counted under the locks.
  const rules = await listMilestoneRules(tx)
  await lockMilestoneScopes(tx, ctx, now)
  const attendance = await insertAttendance(tx, { bookingId: booking.id, meetingId: ctx.meeting.id, participantId: booking.participant_id, at: now.toISOString(), staffUserId: staffId, via })
  if (!attendance) return { outcome: 'already_checked_in', bookingId: booking.id, name: booking.name, milestones: [] }
  const milestones = await countFirstAttendance(tx, ctx, booking, attendance.id, rules, now)
  return { outcome: 'checked_in', bookingId: booking.id, name: booking.name, milestones }
}

/**
 * Takes back a check-in, and uncounts it where it counted toward milestones. Returns
 * what moved, so the door can say who gets the flowers now.
 */
async function undoCheckIn (tx: Tx, ctx: MeetingContext, booking: BookingWithPerson, now: Date): Promise<{ outcome: CheckinOutcome, moved: MilestoneMove[] }> {
  await lockMilestoneScopes(tx, ctx, now)
  const removed = await deleteAttendance(tx, booking.id, ctx.meeting.id)
  if (!removed) return { outcome: 'not_checked_in', moved: [] }
  return { outcome: 'undone', moved: await uncountAttendance(tx, ctx, booking, removed, now) }
}

export interface AttendanceMark { bookingId: number, meetingId: number, attended: boolean }

/**
 * A leader's corrections from a paper list, after the meeting: each mark checks in or
 * takes back one booking at one meeting of the class, in one transaction.
 */
export async function correctAttendance (db: Db, actor: Actor, classId: number, marks: AttendanceMark[], now: Date = new Date()): Promise<{ added: number, removed: number, milestones: MilestoneHit[] }> {
  const staffId = actingStaffId(actor)
  return await db.transaction().execute(async tx => {
    if (!await lockClass(tx, classId)) throw new DomainError('class_not_found')
    let added = 0
    let removed = 0
    const milestones: MilestoneHit[] = []
    for (const mark of marks) {
      const ctx = await findMeetingContext(tx, mark.meetingId)
      if (!ctx || ctx.classId !== classId) throw new DomainError('meeting_not_found')
      assertWhen(ctx, 'paper', now)
      const booking = await findBookingById(tx, mark.bookingId)
      if (!booking || booking.class_id !== classId) throw new DomainError('booking_not_on_class')
      if (mark.attended) {
        if (booking.status !== 'confirmed') continue
        const r = await checkInBooking(tx, ctx, booking, staffId, 'paper', now)
        if (r.outcome === 'checked_in') added++
        milestones.push(...r.milestones)
      } else if ((await undoCheckIn(tx, ctx, booking, now)).outcome === 'undone') {
        removed++
      }
    }
    if (added + removed > 0) {
      await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: 'attendance_corrected', subject_type: 'class', subject_id: classId, detail: `added=${added} removed=${removed}` })
    }
    return { added, removed, milestones }
  })
}
