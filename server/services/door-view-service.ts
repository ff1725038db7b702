import { DateTime } from 'luxon'
import type { Db, DbOrTx } from '../db/connection.ts'
import { ZONE } from '../domain/time.ts'
import { type MeetingContext, findMeetingContext, listAttendedBookingIds, listMeetingsBetween } from '../repositories/attendance-repository.ts'
import { type BookingWithPerson, listActiveBookings } from '../repositories/booking-repository.ts'
import { listClassIdsOfStaff } from '../repositories/class-staff-repository.ts'
import { listLeadersToAsk } from '../repositories/staff-repository.ts'
import { countSaidNo } from '../repositories/coming-repository.ts'

/**
 * What the door shows: the list of one meeting, today's meetings to choose from, and
 * whom to ask on a day without one. Reads only; the door's writes are in checkin-service.
 */

export interface DoorPerson {
  bookingId: number
  name: string
  needs: string
  attended: boolean
  walkIn: boolean
  overCapacity: boolean
  /** "Kommer du?": 'yes' said JA, 'open' asked and not answered, null not asked. */
  coming?: 'yes' | 'open' | null
}

/** "Kommer du?" on a class, for the door and the class page; null when nobody was asked. */
export interface ComingCounts { yes: number, open: number, no: number }

export interface CheckinSheet {
  ctx: MeetingContext
  people: DoorPerson[]
  waiting: DoorPerson[]
  attendedCount: number
  confirmedCount: number
  seatsLeft: number
  coming: ComingCounts | null
}

/** A booking's answer to "Kommer du?" as the door shows it. */
export function comingOf (b: Pick<BookingWithPerson, 'coming' | 'coming_asked_at'>): 'yes' | 'open' | null {
  return b.coming === 'yes' ? 'yes' : b.coming_asked_at !== null && b.coming === null ? 'open' : null
}

/** The counts of answers among a class's seats, and how many said NEJ (they are cancelled). */
export async function comingCounts (db: DbOrTx, classId: number, confirmed: Array<Pick<BookingWithPerson, 'coming' | 'coming_asked_at'>>): Promise<ComingCounts | null> {
  const no = await countSaidNo(db, classId)
  const yes = confirmed.filter(b => comingOf(b) === 'yes').length
  const open = confirmed.filter(b => comingOf(b) === 'open').length
  return yes + open + no === 0 ? null : { yes, open, no }
}

function needsOf (b: BookingWithPerson): string {
  return [b.needs_companion ? 'Har ledsager med' : '', b.needs_hearing_loop ? 'Teleslynge' : '', b.needs_other ?? ''].filter(Boolean).join('. ')
}

/** What the door sees: names and needs only, never phone numbers or e-mail addresses. */
export async function getCheckinSheet (db: DbOrTx, meetingId: number): Promise<CheckinSheet | undefined> {
  const ctx = await findMeetingContext(db, meetingId)
  return ctx ? await checkinSheetOf(db, ctx) : undefined
}

/** The sheet of a meeting whose context the caller has already read (the door's own). */
export async function checkinSheetOf (db: DbOrTx, ctx: MeetingContext): Promise<CheckinSheet> {
  const { confirmed, ...list } = await readDoorList(db, ctx)
  return { ctx, ...list, coming: await comingCounts(db, ctx.classId, confirmed) }
}

/**
 * What a tablet's list needs after each sync: who is booked and who came, without the
 * "Kommer du?" counts (one statement fewer on every tap).
 */
export async function doorListOf (db: DbOrTx, ctx: MeetingContext): Promise<Omit<CheckinSheet, 'ctx' | 'coming'>> {
  const { confirmed: _, ...list } = await readDoorList(db, ctx)
  return list
}

async function readDoorList (db: DbOrTx, ctx: MeetingContext) {
  const [active, attended] = await Promise.all([listActiveBookings(db, ctx.classId), listAttendedBookingIds(db, ctx.meeting.id)])
  const here = new Set(attended)
  const toPerson = (b: BookingWithPerson): DoorPerson => ({ bookingId: b.id, name: b.name, needs: needsOf(b), attended: here.has(b.id), walkIn: b.source === 'walkin', overCapacity: b.over_capacity === 1, coming: comingOf(b) })
  const byName = (a: DoorPerson, b: DoorPerson) => a.name.localeCompare(b.name, 'da')
  const confirmed = active.filter(b => b.status === 'confirmed')
  const people = confirmed.map(toPerson).sort(byName)
  return {
    confirmed,
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
