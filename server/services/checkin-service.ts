import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import type { Db, DbOrTx } from '../db/connection.ts'
import type { CheckinVia } from '../db/schema.ts'
import { isSamePerson } from '../domain/booking-form.ts'
import { topicLabel } from '../domain/catalogue-vocabulary.ts'
import { DomainError } from '../domain/errors.ts'
import { isMilestone, ruleCovers, scopeLabel, scopesOf } from '../domain/milestones.ts'
import { ZONE, copenhagenDate } from '../domain/time.ts'
import { queueMail } from '../mail/outbox.ts'
import { withdrawQueued } from '../repositories/outbox-repository.ts'
import {
  type MeetingContext, deleteAttendance, deleteFirstInScope, findFirstAttendanceInScope, findFirstInScope, findMeetingContext,
  findNthInScope, hasFirstInScope, listAttendancesOfBookings, insertAttendance, insertFirstInScope, listAttendedBookingIds, listMeetingsBetween, lockScope, moveFirstInScope, countInScope
} from '../repositories/attendance-repository.ts'
import { type BookingWithPerson, WITHOUT_NEEDS_OR_BOOKER, findBookingById, insertBooking, listActiveBookings, markOverCapacity, setBookingStatus } from '../repositories/booking-repository.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { claimCheckinKey, findBookingByCode, findCheckinAction, recordCheckinResult } from '../repositories/checkin-repository.ts'
import { listMeetings, lockClass } from '../repositories/class-repository.ts'
import { listClassIdsOfStaff } from '../repositories/class-staff-repository.ts'
import { listLeadersToAsk } from '../repositories/staff-repository.ts'
import {
  deleteMilestonesOfAttendance, insertMilestone, listLeaderRecipients, listMilestoneRules, moveMilestonesToAttendance
} from '../repositories/milestone-repository.ts'
import { newBookingToken } from '../domain/booking-token.ts'
import { notifyBooking } from './notification-service.ts'
import { findOrCreateParticipant } from './participant-service.ts'

/** Who checks people in: a signed-in staff user, or a tablet holding a one-day PIN link. */
export interface CheckinActor {
  staffId: number | null
  linkId: number | null
  /** A leader may let a walk-in in beyond the seats even when the class does not allow it. */
  mayOverfill: boolean
}

export interface MilestoneHit { id: number, number: number, scope: string, scopeLabel: string }

/**
 * A milestone that left a participant when their check-in was taken back, and who holds
 * the number now: the participant counted at that place since, or nobody yet. A holder on
 * another class is named only by class (the door sees the names of its own class only).
 */
export interface MilestoneMove {
  number: number
  scope: string
  scopeLabel: string
  holder: { bookingId: number, name: string | null, here: boolean, courseTitle: string, locationName: string } | null
}

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
export async function runCheckinAction (db: Db, meetingId: number, action: CheckinAction, actor: CheckinActor, now: Date = new Date()): Promise<CheckinResult> {
  if (!CHECKIN_KEY.test(action.key)) throw new TypeError('invalid idempotency key')
  const at = now.toISOString()
  return await db.transaction().execute(async tx => {
    const claimed = await claimCheckinKey(tx, { idempotency_key: action.key, meeting_id: meetingId, booking_id: null, action: action.type, result_json: '{}', at, staff_user_id: actor.staffId, link_id: actor.linkId })
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
    const result = await perform(tx, ctx, action, actor, via, now)
    const stored = { ...result, name: '', milestonesMoved: result.milestonesMoved.map(m => m.holder ? { ...m, holder: { ...m.holder, name: null } } : m) }
    await recordCheckinResult(tx, action.key, result.bookingId, JSON.stringify(stored))
    return result
  })
}

async function perform (tx: DbOrTx, ctx: MeetingContext, action: CheckinAction, actor: CheckinActor, via: CheckinVia, now: Date): Promise<CheckinResult> {
  const base = { key: action.key, replayed: false, milestonesMoved: [] }
  if (action.type === 'walkin') {
    const { booking, seated, overCapacity } = await seatWalkIn(tx, ctx, action.person, actor.mayOverfill && action.overfill, now)
    return { ...base, ...(await checkInBooking(tx, ctx, booking, actor.staffId, via, now)), seated, overCapacity }
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
    const seat = await takeSeat(tx, ctx, actor.mayOverfill)
    await setBookingStatus(tx, [booking.id], 'confirmed', now.toISOString())
    if (seat === 'over') await markOverCapacity(tx, booking.id)
    seated = true
    overCapacity = seat === 'over'
  }
  return { ...base, ...(await checkInBooking(tx, ctx, booking, actor.staffId, via, now)), seated, overCapacity }
}

/** A seat for someone at the door, under the class lock: a free one, or one beyond capacity when allowed. */
async function takeSeat (tx: DbOrTx, ctx: MeetingContext, overfill: boolean): Promise<'free' | 'over'> {
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
async function seatWalkIn (tx: DbOrTx, ctx: MeetingContext, person: WalkInPerson, overfill: boolean, now: Date): Promise<{ booking: BookingWithPerson, seated: boolean, overCapacity: boolean }> {
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
    const participantId = await findOrCreateParticipant(tx, { name: person.name, phone: person.phone, email: person.email, birthYear: null, needsCompanion: false, needsHearingLoop: false, needsOther: null, booker: null }, at)
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
 * Records the attendance, and counts the participant in every scope where this is their
 * first attended meeting. Each scope is counted under its own lock, so that exactly one
 * person gets each number; a number a rule celebrates is recorded (once: the number is
 * unique per scope) and the leaders get an e-mail in the same transaction.
 */
async function checkInBooking (tx: DbOrTx, ctx: MeetingContext, booking: BookingWithPerson, staffId: number | null, via: CheckinVia, now: Date): Promise<{ outcome: CheckinOutcome, bookingId: number, name: string, milestones: MilestoneHit[] }> {
  const at = now.toISOString()
  const scopes = scopesOf(ctx.locationId, ctx.topic)
  // Scope locks first, always in the same order, before any attendance row is touched:
  // a check-in and an undo or a correction can then never wait for each other in a circle.
  for (const scope of scopes) await lockScope(tx, scope, at)
  const attendance = await insertAttendance(tx, { bookingId: booking.id, meetingId: ctx.meeting.id, participantId: booking.participant_id, at, staffUserId: staffId, via })
  if (!attendance) return { outcome: 'already_checked_in', bookingId: booking.id, name: booking.name, milestones: [] }
  const rules = await listMilestoneRules(tx)
  const names = { locations: new Map([[ctx.locationId, ctx.locationName]]), topicLabel }
  const milestones: MilestoneHit[] = []
  for (const scope of scopes) {
    if (await hasFirstInScope(tx, scope, booking.participant_id)) continue
    if (!await insertFirstInScope(tx, scope, booking.participant_id, attendance.id, at)) continue
    if (!rules.some(r => ruleCovers(r, scope))) continue
    const number = await countInScope(tx, scope)
    if (!isMilestone(rules, scope, number)) continue
    const reached = await insertMilestone(tx, { scope, number, participant_id: booking.participant_id, attendance_id: attendance.id, booking_id: booking.id, meeting_id: ctx.meeting.id, reached_at: at })
    if (!reached) continue
    const label = scopeLabel(scope, names)
    milestones.push({ id: reached.id, number, scope, scopeLabel: label })
    await tellLeaders(tx, { number, scope: label, participantName: booking.name, courseTitle: ctx.courseTitle, locationName: ctx.locationName, bookingId: booking.id, classId: ctx.classId }, now)
  }
  return { outcome: 'checked_in', bookingId: booking.id, name: booking.name, milestones }
}

async function tellLeaders (tx: DbOrTx, m: { number: number, scope: string, participantName: string, courseTitle: string, locationName: string, bookingId: number, classId: number }, now: Date): Promise<void> {
  const at = now.toISOString()
  for (const leader of await listLeaderRecipients(tx)) {
    await queueMail(tx, { kind: 'milestone', number: m.number, scope: m.scope, participantName: m.participantName, courseTitle: m.courseTitle, locationName: m.locationName, at },
      { recipient: leader.email, dedupeKey: `milestone:${m.scope}:${m.number}:${m.bookingId}:${at}:${leader.id}`, bookingId: m.bookingId, classId: m.classId }, now)
  }
}

/**
 * Takes back a check-in. Where it was the participant's first attendance in a scope,
 * their next one takes its place, or, with none left, they no longer count there. A
 * milestone they held there is released and the leaders are told; when others have been
 * counted since, the number goes at once to whoever now holds that place in the order
 * of first attendances, so no milestone is ever skipped. Returns what moved, so the
 * door can say who gets the flowers now.
 */
async function undoCheckIn (tx: DbOrTx, ctx: MeetingContext, booking: BookingWithPerson, now: Date): Promise<{ outcome: CheckinOutcome, moved: MilestoneMove[] }> {
  const at = now.toISOString()
  const scopes = scopesOf(ctx.locationId, ctx.topic)
  for (const scope of scopes) await lockScope(tx, scope, at)
  const removed = await deleteAttendance(tx, booking.id, ctx.meeting.id)
  if (!removed) return { outcome: 'not_checked_in', moved: [] }
  const moved: MilestoneMove[] = []
  const names = { locations: new Map([[ctx.locationId, ctx.locationName]]), topicLabel }
  for (const scope of scopes) {
    const first = await findFirstInScope(tx, scope, removed.participant_id)
    if (first?.attendance_id !== removed.id) continue
    const next = await findFirstAttendanceInScope(tx, removed.participant_id, scope)
    if (next) {
      await moveFirstInScope(tx, scope, removed.participant_id, next.id, next.checked_in_at)
      await moveMilestonesToAttendance(tx, removed.id, next.id, scope)
      continue
    }
    await deleteFirstInScope(tx, scope, removed.participant_id)
    for (const m of await deleteMilestonesOfAttendance(tx, removed.id, scope)) {
      const label = scopeLabel(scope, names)
      for (const leader of await listLeaderRecipients(tx)) {
        await queueMail(tx, { kind: 'milestone_undone', number: m.number, scope: label, participantName: booking.name, at },
          { recipient: leader.email, dedupeKey: `milestone-undone:${scope}:${m.number}:${booking.id}:${at}:${leader.id}`, bookingId: booking.id, classId: ctx.classId }, now)
      }
      const holder = await findNthInScope(tx, scope, m.number)
      const here = holder?.classId === ctx.classId
      moved.push({ number: m.number, scope, scopeLabel: label, holder: holder ? { bookingId: holder.bookingId, name: here ? holder.name : null, here, courseTitle: holder.courseTitle, locationName: holder.locationName } : null })
      if (!holder) continue
      const reached = await insertMilestone(tx, { scope, number: m.number, participant_id: holder.participantId, attendance_id: holder.attendanceId, booking_id: holder.bookingId, meeting_id: holder.meetingId, reached_at: at })
      if (reached) await tellLeaders(tx, { number: m.number, scope: label, participantName: holder.name, courseTitle: holder.courseTitle, locationName: holder.locationName, bookingId: holder.bookingId, classId: holder.classId }, now)
    }
  }
  return { outcome: 'undone', moved }
}

export interface AttendanceMark { bookingId: number, meetingId: number, attended: boolean }

/**
 * A leader's corrections from a paper list, after the meeting: each mark checks in or
 * takes back one booking at one meeting of the class, in one transaction.
 */
export async function correctAttendance (db: Db, classId: number, marks: AttendanceMark[], staffId: number, now: Date = new Date()): Promise<{ added: number, removed: number, milestones: MilestoneHit[] }> {
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

export interface DoorPerson {
  bookingId: number
  name: string
  needs: string
  attended: boolean
  walkIn: boolean
  overCapacity: boolean
}

export interface CheckinSheet {
  ctx: MeetingContext
  people: DoorPerson[]
  waiting: DoorPerson[]
  attendedCount: number
  confirmedCount: number
  seatsLeft: number
}

function needsOf (b: BookingWithPerson): string {
  return [b.needs_companion ? 'Har ledsager med' : '', b.needs_hearing_loop ? 'Teleslynge' : '', b.needs_other ?? ''].filter(Boolean).join('. ')
}

/** What the door sees: names and needs only, never phone numbers or e-mail addresses. */
export async function getCheckinSheet (db: DbOrTx, meetingId: number): Promise<CheckinSheet | undefined> {
  const ctx = await findMeetingContext(db, meetingId)
  if (!ctx) return undefined
  const [active, attended] = await Promise.all([listActiveBookings(db, ctx.classId), listAttendedBookingIds(db, meetingId)])
  const here = new Set(attended)
  const toPerson = (b: BookingWithPerson): DoorPerson => ({ bookingId: b.id, name: b.name, needs: needsOf(b), attended: here.has(b.id), walkIn: b.source === 'walkin', overCapacity: b.over_capacity === 1 })
  const byName = (a: DoorPerson, b: DoorPerson) => a.name.localeCompare(b.name, 'da')
  const people = active.filter(b => b.status === 'confirmed').map(toPerson).sort(byName)
  return {
    ctx,
    people,
    waiting: active.filter(b => b.status === 'waitlisted').map(toPerson),
    attendedCount: people.filter(p => p.attended).length,
    confirmedCount: people.length,
    seatsLeft: Math.max(0, ctx.capacity - people.length)
  }
}

export interface TodaysMeeting { meetingId: number, classId: number, startsAt: string, endsAt: string, courseTitle: string, locationName: string, room: string | null, confirmed: number, attended: number }

/**
 * Today's meetings (Copenhagen time) for the door: the person's own classes first. A
 * volunteer sees only the classes they are on; a leader sees the rest as well.
 */
export async function getTodaysMeetings (db: Db, staffId: number, isLeader: boolean, now: Date = new Date()): Promise<{ mine: TodaysMeeting[], others: TodaysMeeting[] }> {
  const day = DateTime.fromJSDate(now).setZone(ZONE).startOf('day')
  const meetings = await listMeetingsBetween(db, day.toUTC().toISO() as string, day.plus({ days: 1 }).toUTC().toISO() as string)
  const mineIds = new Set(await listClassIdsOfStaff(db, staffId))
  return {
    mine: meetings.filter(m => mineIds.has(m.classId)),
    others: isLeader ? meetings.filter(m => !mineIds.has(m.classId)) : []
  }
}

export interface DoorHelp {
  /** The leaders at the volunteer's places (or any, with none there), with a phone number where they gave one. */
  leaders: Array<{ name: string, phone: string | null }>
  /** The volunteer's next meeting after today, within two months. */
  next: TodaysMeeting | undefined
}

/** For a volunteer with no class today: whom to ask, and when they are next on. */
export async function getDoorHelp (db: Db, staffId: number, now: Date = new Date()): Promise<DoorHelp> {
  const tomorrow = DateTime.fromJSDate(now).setZone(ZONE).startOf('day').plus({ days: 1 })
  const [leaders, mineIds, meetings] = await Promise.all([
    listLeadersToAsk(db, staffId, 5),
    listClassIdsOfStaff(db, staffId),
    listMeetingsBetween(db, tomorrow.toUTC().toISO() as string, tomorrow.plus({ months: 2 }).toUTC().toISO() as string)
  ])
  const mine = new Set(mineIds)
  return { leaders: leaders.map(l => ({ name: l.name, phone: l.phone })), next: meetings.find(m => mine.has(m.classId)) }
}
