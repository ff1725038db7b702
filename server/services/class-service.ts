import type { Db } from '../db/connection.ts'
import { type Actor, actingStaffId, auditStaffId } from '../domain/actor.ts'
import { type ClassInput, planMeetings, shiftWeeks } from '../domain/class-form.ts'
import { DomainError } from '../domain/errors.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { withdrawQueued } from '../repositories/outbox-repository.ts'
import { cancelActiveBookings, countConfirmed, listActiveBookings } from '../repositories/booking-repository.ts'
import { applyMeetingPlan, insertClass, listMeetingIdsInUse, listMeetings, lockClass, raiseCalendarSequence, updateClassRow } from '../repositories/class-repository.ts'
import { promoteFromWaitlist } from './booking-service.ts'
import { withdrawOpenOffers } from './offer-service.ts'
import { classChanged, classFacts, notifyBooking, notifyClassChanged, notifyInterest } from './notification-service.ts'

/** The columns a class's plan sets, shared by creating and editing. */
const classColumns = (input: Omit<ClassInput, 'repeatWeeks'>, at: string) => ({
  course_slug: input.courseSlug,
  location_id: input.locationId,
  partner_id: input.partnerId,
  capacity: input.capacity,
  is_public: input.isPublic ? 1 : 0,
  waitlist_mode: input.waitlistMode,
  ...(input.offerHours === undefined ? {} : { offer_hours: input.offerHours }),
  ...(input.confirmMode === undefined ? {} : { confirm_mode: input.confirmMode }),
  ...(input.confirmDays === undefined ? {} : { confirm_days: input.confirmDays }),
  ...(input.releaseHours === undefined ? {} : { release_hours: input.releaseHours }),
  note: input.note,
  updated_at: at
})

/**
 * Plans a class, or the same class every week for N weeks (N classes), in one
 * transaction. Returns the new ids, first to last.
 */
export async function createClasses (db: Db, actor: Actor, input: ClassInput, now: Date = new Date()): Promise<number[]> {
  const staffId = auditStaffId(actor)
  const at = now.toISOString()
  return await db.transaction().execute(async tx => {
    const ids: number[] = []
    for (let week = 0; week < input.repeatWeeks; week++) {
      const id = await insertClass(tx, { ...classColumns(input, at), created_at: at }, shiftWeeks(input.meetings, week))
      await insertAuditEntry(tx, { at, staff_user_id: staffId, action: 'class_created', subject_type: 'class', subject_id: id, detail: `capacity=${input.capacity} public=${input.isPublic ? 1 : 0}` })
      ids.push(id)
    }
    if (input.isPublic) await notifyInterest(tx, ids, now)
    return ids
  })
}

export interface ClassUpdateOptions {
  /** The version the change was made from; a class changed since is refused (class_changed). Omitted: no check. */
  expectedVersion?: number
  /** Fewer seats than there are people with one: allowed only by this explicit choice. */
  allowCapacityBelowSeatsTaken?: boolean
  now?: Date
}

/**
 * Changes a class. Meetings are matched by id: a meeting with attendance (or a
 * milestone) is never removed, and attendance never moves to another meeting. More
 * seats go at once to the waiting list, first in line first. Fewer seats than people
 * with one are refused unless chosen explicitly; even then nobody loses a seat, booking
 * only closes until enough have left.
 */
export async function updateClass (db: Db, actor: Actor, id: number, input: Omit<ClassInput, 'repeatWeeks'>, options: ClassUpdateOptions = {}): Promise<{ promoted: number[] }> {
  const { now = new Date() } = options
  const staffId = auditStaffId(actor)
  const at = now.toISOString()
  return await db.transaction().execute(async tx => {
    const before = await lockClass(tx, id)
    if (!before) throw new DomainError('class_not_found')
    const factsBefore = await classFacts(tx, id)
    if (!await updateClassRow(tx, id, classColumns(input, at), options.expectedVersion)) throw new DomainError('class_changed')
    const plan = planMeetings(await listMeetings(tx, [id]), input.meetings)
    if (plan.unknown.length > 0) throw new DomainError('meeting_not_on_class', undefined, { meetingIds: plan.unknown })
    const inUse = await listMeetingIdsInUse(tx, plan.remove)
    if (inUse.length > 0) throw new DomainError('meeting_has_attendance', undefined, { meetingIds: inUse })
    const seatsTaken = await countConfirmed(tx, id)
    const belowSeats = input.capacity < seatsTaken && input.capacity < before.capacity
    if (belowSeats && options.allowCapacityBelowSeatsTaken !== true) throw new DomainError('capacity_below_seats_taken', undefined, { seatsTaken })
    await applyMeetingPlan(tx, id, plan)
    const changed = classChanged(factsBefore, await classFacts(tx, id))
    // Calendar programs take a changed event only with a higher SEQUENCE (RFC 5545 3.8.7.4).
    if (changed) await raiseCalendarSequence(tx, [id], at)
    if (before.cancelled_at === null && changed) {
      await withdrawQueued(tx, { classId: id, kinds: ['reminder'] }, 'Holdet blev ændret, før påmindelsen blev sendt.')
      await notifyClassChanged(tx, id, factsBefore, now)
    }
    if (before.is_public === 0 && input.isPublic) await notifyInterest(tx, [id], now)
    // Leaving 'offer' mode ends the open offers; their seats go by the new mode.
    if (before.waitlist_mode === 'offer' && input.waitlistMode !== 'offer') await withdrawOpenOffers(tx, id, at)
    const promoted = before.cancelled_at === null ? await promoteFromWaitlist(tx, { id, capacity: input.capacity, waitlist_mode: input.waitlistMode }, at) : []
    const detail = `capacity=${before.capacity}->${input.capacity}${belowSeats ? ` below_seats_taken=${seatsTaken}` : ''} meetings=+${plan.add.length}-${plan.remove.length} promoted=${promoted.length}`
    await insertAuditEntry(tx, { at, staff_user_id: staffId, action: 'class_updated', subject_type: 'class', subject_id: id, detail })
    return { promoted }
  })
}

export async function setClassPublic (db: Db, actor: Actor, id: number, isPublic: boolean, now: Date = new Date()): Promise<void> {
  const staffId = actingStaffId(actor)
  await db.transaction().execute(async tx => {
    if (!await lockClass(tx, id)) throw new DomainError('class_not_found')
    await updateClassRow(tx, id, { is_public: isPublic ? 1 : 0, updated_at: now.toISOString() })
    if (isPublic) await notifyInterest(tx, [id], now)
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: isPublic ? 'class_published' : 'class_unpublished', subject_type: 'class', subject_id: id, detail: null })
  })
}

/**
 * A leader lets the door give walk-ins a seat beyond the class's capacity, or stops it
 * again. The setting and its audit line are one change.
 */
export async function setWalkinsOverCapacity (db: Db, actor: Actor, id: number, allow: boolean, now: Date = new Date()): Promise<void> {
  const staffId = actingStaffId(actor)
  await db.transaction().execute(async tx => {
    await updateClassRow(tx, id, { walkins_over_capacity: allow ? 1 : 0 })
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: allow ? 'walkins_over_capacity_allowed' : 'walkins_over_capacity_stopped', subject_type: 'class', subject_id: id, detail: null })
  })
}

/** Cancels a class: it stays, its bookings stay, marked as cancelled by the organiser. */
export async function cancelClass (db: Db, actor: Actor, id: number, now: Date = new Date()): Promise<{ bookingsCancelled: number }> {
  const staffId = auditStaffId(actor)
  const at = now.toISOString()
  return await db.transaction().execute(async tx => {
    const cls = await lockClass(tx, id)
    if (!cls) throw new DomainError('class_not_found')
    if (cls.cancelled_at !== null) return { bookingsCancelled: 0 }
    // An ended class keeps its bookings: the report figures of the past stay fixed.
    const last = (await listMeetings(tx, [id])).at(-1)
    if (last && last.ends_at <= at) throw new DomainError('class_ended')
    const affected = await listActiveBookings(tx, id)
    await updateClassRow(tx, id, { cancelled_at: at, updated_at: at })
    const bookingsCancelled = await cancelActiveBookings(tx, id, at)
    await withdrawOpenOffers(tx, id, at)
    await raiseCalendarSequence(tx, [id], at)
    await withdrawQueued(tx, { classId: id }, 'Holdet blev aflyst, før e-mailen blev sendt.')
    const facts = await classFacts(tx, id)
    for (const booking of affected) await notifyBooking(tx, booking, 'class_cancelled', {}, now, { cls: facts })
    await insertAuditEntry(tx, { at, staff_user_id: staffId, action: 'class_cancelled', subject_type: 'class', subject_id: id, detail: `bookings=${bookingsCancelled}` })
    return { bookingsCancelled }
  })
}
