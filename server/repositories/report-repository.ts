import { sql } from 'kysely'
import type { DbOrTx } from '../db/connection.ts'
import type { CancelledBy, FilledBy } from '../db/schema.ts'

/** A period as stored moments: [from, to). */
export interface Span { from: string, to: string }

export interface CountRow { key: string, label: string, attendances: number, participants: number }

/** Attendances at meetings that start in the span, with the class, course and place they belong to. */
function attendancesIn (db: DbOrTx, span: Span) {
  return db.selectFrom('attendances')
    .innerJoin('meetings', 'meetings.id', 'attendances.meeting_id')
    .innerJoin('classes', 'classes.id', 'meetings.class_id')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .where('meetings.starts_at', '>=', span.from)
    .where('meetings.starts_at', '<', span.to)
}

const counts = sql<number>`count(*)`
const distinctParticipants = sql<number>`count(distinct attendances.participant_id)`

export async function countTotals (db: DbOrTx, span: Span): Promise<{ attendances: number, participants: number, walkIns: number }> {
  const row = await attendancesIn(db, span)
    .innerJoin('bookings', 'bookings.id', 'attendances.booking_id')
    .select([counts.as('attendances'), distinctParticipants.as('participants'), sql<number>`sum(case when bookings.source = 'walkin' then 1 else 0 end)`.as('walk_ins')])
    .executeTakeFirstOrThrow()
  return { attendances: Number(row.attendances), participants: Number(row.participants), walkIns: Number(row.walk_ins ?? 0) }
}

/**
 * Per calendar month of the meeting. The month is taken from the stored UTC time: a
 * meeting between midnight and 02:00 Copenhagen time on the 1st would count in the
 * month before, which no class does.
 */
export async function countByMonth (db: DbOrTx, span: Span): Promise<CountRow[]> {
  const month = sql<string>`substr(meetings.starts_at, 1, 7)`
  const rows = await attendancesIn(db, span)
    .select([month.as('month'), counts.as('attendances'), distinctParticipants.as('participants')])
    .groupBy(month).orderBy(month).execute()
  return rows.map(r => ({ key: r.month, label: r.month, attendances: Number(r.attendances), participants: Number(r.participants) }))
}

export async function countByTopic (db: DbOrTx, span: Span): Promise<CountRow[]> {
  const rows = await attendancesIn(db, span)
    .select(['courses.topic', counts.as('attendances'), distinctParticipants.as('participants')])
    .groupBy('courses.topic').orderBy('courses.topic').execute()
  return rows.map(r => ({ key: r.topic, label: r.topic, attendances: Number(r.attendances), participants: Number(r.participants) }))
}

export async function countByLocation (db: DbOrTx, span: Span): Promise<CountRow[]> {
  const rows = await attendancesIn(db, span)
    .select(['locations.id', 'locations.name', counts.as('attendances'), distinctParticipants.as('participants')])
    .groupBy(['locations.id', 'locations.name']).orderBy('locations.name').orderBy('locations.id').execute()
  return rows.map(r => ({ key: String(r.id), label: r.name, attendances: Number(r.attendances), participants: Number(r.participants) }))
}

export async function countByPartner (db: DbOrTx, span: Span): Promise<CountRow[]> {
  const rows = await attendancesIn(db, span)
    .leftJoin('partners', 'partners.id', 'classes.partner_id')
    .select(['partners.id', 'partners.name', counts.as('attendances'), distinctParticipants.as('participants')])
    .groupBy(['partners.id', 'partners.name']).orderBy('partners.name').orderBy('partners.id').execute()
  return rows.map(r => ({ key: r.id === null ? 'none' : String(r.id), label: r.name ?? '', attendances: Number(r.attendances), participants: Number(r.participants) }))
}

/**
 * Participants of the span, split by whether their first attended meeting ever (by the
 * meeting's date, however late it was recorded) falls in it.
 */
export async function countNewAndReturning (db: DbOrTx, span: Span): Promise<{ new: number, returning: number }> {
  const inSpan = attendancesIn(db, span).select('attendances.participant_id')
  const firsts = db.selectFrom('attendances')
    .innerJoin('meetings', 'meetings.id', 'attendances.meeting_id')
    .select(['attendances.participant_id', sql<string>`min(meetings.starts_at)`.as('first_at')])
    .where('attendances.participant_id', 'in', inSpan)
    .groupBy('attendances.participant_id')
  const row = await db.selectFrom(firsts.as('firsts'))
    .select([
      sql<number>`sum(case when firsts.first_at >= ${span.from} then 1 else 0 end)`.as('new'),
      sql<number>`sum(case when firsts.first_at < ${span.from} then 1 else 0 end)`.as('returning')
    ])
    .executeTakeFirst()
  return { new: Number(row?.new ?? 0), returning: Number(row?.returning ?? 0) }
}

/** Participants of the span by birth year (null when not given). */
export async function countByBirthYear (db: DbOrTx, span: Span): Promise<Array<{ birthYear: number | null, participants: number }>> {
  const rows = await attendancesIn(db, span)
    .innerJoin('participants', 'participants.id', 'attendances.participant_id')
    .select(['participants.birth_year', distinctParticipants.as('participants')])
    .groupBy('participants.birth_year').execute()
  return rows.map(r => ({ birthYear: r.birth_year, participants: Number(r.participants) }))
}

/**
 * Seats and seats taken on the classes whose first meeting falls in the span, per place.
 * Walk-ins let in beyond the seats are not counted as seats taken (fill rate stays ≤ 100 %).
 */
export async function countSeats (db: DbOrTx, span: Span): Promise<Array<{ key: string, label: string, classes: number, capacity: number, taken: number }>> {
  const first = db.selectFrom('meetings').select(['class_id', sql<string>`min(starts_at)`.as('first_starts_at')]).groupBy('class_id')
  const rows = await db.selectFrom('classes')
    .innerJoin(first.as('first'), 'first.class_id', 'classes.id')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .select(eb => [
      'locations.id', 'locations.name',
      eb.fn.countAll<number>().as('classes'),
      eb.fn.sum<number>('classes.capacity').as('capacity'),
      sql<number>`sum((select count(*) from bookings where bookings.class_id = classes.id and bookings.status = 'confirmed' and bookings.over_capacity = 0))`.as('taken')
    ])
    .where('first.first_starts_at', '>=', span.from).where('first.first_starts_at', '<', span.to)
    .where('classes.cancelled_at', 'is', null)
    .groupBy(['locations.id', 'locations.name']).orderBy('locations.name').orderBy('locations.id').execute()
  return rows.map(r => ({ key: String(r.id), label: r.name, classes: Number(r.classes), capacity: Number(r.capacity ?? 0), taken: Number(r.taken ?? 0) }))
}

/**
 * Booked seats at meetings that have begun, and how many of them were used, per place.
 * A booking counts at a meeting when it held a seat at the meeting's start: confirmed
 * before it, and not cancelled before it. Walk-ins are left out: they came.
 */
export async function countShows (db: DbOrTx, span: Span, now: string): Promise<Array<{ key: string, label: string, expected: number, attended: number }>> {
  const rows = await db.selectFrom('bookings')
    .innerJoin('meetings', 'meetings.class_id', 'bookings.class_id')
    .innerJoin('classes', 'classes.id', 'bookings.class_id')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .leftJoin('attendances', join => join.onRef('attendances.booking_id', '=', 'bookings.id').onRef('attendances.meeting_id', '=', 'meetings.id'))
    .select(['locations.id', 'locations.name', counts.as('expected'), sql<number>`count(attendances.id)`.as('attended')])
    .where('bookings.source', '!=', 'walkin')
    .where('bookings.confirmed_at', 'is not', null)
    .whereRef('bookings.confirmed_at', '<=', 'meetings.starts_at')
    .where(eb => eb.or([eb('bookings.cancelled_at', 'is', null), eb('bookings.cancelled_at', '>', eb.ref('meetings.starts_at'))]))
    .where('classes.cancelled_at', 'is', null)
    .where('meetings.starts_at', '>=', span.from).where('meetings.starts_at', '<', span.to).where('meetings.starts_at', '<=', now)
    .groupBy(['locations.id', 'locations.name']).orderBy('locations.name').orderBy('locations.id').execute()
  return rows.map(r => ({ key: String(r.id), label: r.name, expected: Number(r.expected), attended: Number(r.attended) }))
}

/**
 * Demand the classes could not meet, per course: people who booked a class of the course
 * starting in the span and never got a seat on any class of that course in the span
 * (still waiting, gave up, or moved without a seat). Cancelled classes are left out.
 */
export async function countUnmetDemand (db: DbOrTx, span: Span): Promise<Array<{ key: string, label: string, waiting: number, classes: number }>> {
  const first = db.selectFrom('meetings').select(['class_id', sql<string>`min(starts_at)`.as('first_starts_at')]).groupBy('class_id')
  const seated = db.selectFrom('bookings as got')
    .innerJoin('classes as got_class', 'got_class.id', 'got.class_id')
    .innerJoin(first.as('got_first'), 'got_first.class_id', 'got_class.id')
    .select('got.participant_id')
    .where(sql<boolean>`got_class.course_slug = classes.course_slug`)
    .where('got.confirmed_at', 'is not', null)
    .where('got_first.first_starts_at', '>=', span.from).where('got_first.first_starts_at', '<', span.to)
  const rows = await db.selectFrom('bookings')
    .innerJoin('classes', 'classes.id', 'bookings.class_id')
    .innerJoin(first.as('first'), 'first.class_id', 'classes.id')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .select(['courses.slug', 'courses.title', sql<number>`count(distinct bookings.participant_id)`.as('waiting'), sql<number>`count(distinct classes.id)`.as('classes')])
    .where('bookings.confirmed_at', 'is', null)
    .where('classes.cancelled_at', 'is', null)
    .where('first.first_starts_at', '>=', span.from).where('first.first_starts_at', '<', span.to)
    .where('bookings.participant_id', 'not in', seated)
    .groupBy(['courses.slug', 'courses.title']).execute()
  return rows.map(r => ({ key: r.slug, label: r.title, waiting: Number(r.waiting), classes: Number(r.classes) }))
    .sort((a, b) => b.waiting - a.waiting || a.label.localeCompare(b.label, 'da'))
}

/** Minutes each assigned person spent on meetings that have ended in the span. */
export async function listVolunteerMinutes (db: DbOrTx, span: Span, now: string): Promise<Array<{ staffUserId: number, name: string, task: string, minutes: number, meetings: number }>> {
  const rows = await db.selectFrom('class_staff')
    .innerJoin('staff_users', 'staff_users.id', 'class_staff.staff_user_id')
    .innerJoin('classes', 'classes.id', 'class_staff.class_id')
    .innerJoin('meetings', 'meetings.class_id', 'classes.id')
    .select(['staff_users.id', 'staff_users.name', 'class_staff.task', 'meetings.starts_at', 'meetings.ends_at'])
    .where('classes.cancelled_at', 'is', null)
    .where('meetings.starts_at', '>=', span.from).where('meetings.starts_at', '<', span.to).where('meetings.ends_at', '<=', now)
    .execute()
  const byPerson = new Map<string, { staffUserId: number, name: string, task: string, minutes: number, meetings: number }>()
  for (const r of rows) {
    const key = `${r.id}:${r.task}`
    const entry = byPerson.get(key) ?? { staffUserId: r.id, name: r.name, task: r.task, minutes: 0, meetings: 0 }
    entry.minutes += Math.round((Date.parse(r.ends_at) - Date.parse(r.starts_at)) / 60000)
    entry.meetings++
    byPerson.set(key, entry)
  }
  return [...byPerson.values()].sort((a, b) => a.name.localeCompare(b.name, 'da'))
}

export async function listMilestonesReached (db: DbOrTx, span: Span): Promise<Array<{ scope: string, number: number, reachedAt: string, locationName: string, courseTitle: string }>> {
  const rows = await db.selectFrom('milestones')
    .innerJoin('meetings', 'meetings.id', 'milestones.meeting_id')
    .innerJoin('classes', 'classes.id', 'meetings.class_id')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .select(['milestones.scope', 'milestones.number', 'milestones.reached_at', 'locations.name', 'courses.title'])
    .where('milestones.reached_at', '>=', span.from).where('milestones.reached_at', '<', span.to)
    .orderBy('milestones.reached_at').orderBy('milestones.id').execute()
  return rows.map(r => ({ scope: r.scope, number: r.number, reachedAt: r.reached_at, locationName: r.name, courseTitle: r.title }))
}

/**
 * Booked meeting-seats per meeting that starts in the span and before `cutoff` (the start
 * of today in Copenhagen: the meeting's day has passed), and how many were used. A booking
 * counts at a meeting when it held a seat at its start (domain/no-shows.ts).
 */
export async function countMeetingSeats (db: DbOrTx, span: Span, cutoff: string): Promise<Array<{ meetingId: number, startsAt: string, courseSlug: string, courseTitle: string, locationId: number, locationName: string, booked: number, attended: number }>> {
  const rows = await db.selectFrom('bookings')
    .innerJoin('meetings', 'meetings.class_id', 'bookings.class_id')
    .innerJoin('classes', 'classes.id', 'bookings.class_id')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .leftJoin('attendances', join => join.onRef('attendances.booking_id', '=', 'bookings.id').onRef('attendances.meeting_id', '=', 'meetings.id'))
    .select(['meetings.id', 'meetings.starts_at', 'courses.slug', 'courses.title', 'locations.id as location_id', 'locations.name', counts.as('booked'), sql<number>`count(attendances.id)`.as('attended')])
    .where('bookings.source', '!=', 'walkin')
    .where('bookings.confirmed_at', 'is not', null)
    .whereRef('bookings.confirmed_at', '<=', 'meetings.starts_at')
    .where(eb => eb.or([eb('bookings.cancelled_at', 'is', null), eb('bookings.cancelled_at', '>', eb.ref('meetings.starts_at'))]))
    .where('classes.cancelled_at', 'is', null)
    .where('meetings.starts_at', '>=', span.from).where('meetings.starts_at', '<', span.to).where('meetings.starts_at', '<', cutoff)
    .groupBy(['meetings.id', 'meetings.starts_at', 'courses.slug', 'courses.title', 'locations.id', 'locations.name'])
    .orderBy('meetings.starts_at').orderBy('meetings.id').execute()
  return rows.map(r => ({ meetingId: r.id, startsAt: r.starts_at, courseSlug: r.slug, courseTitle: r.title, locationId: r.location_id, locationName: r.name, booked: Number(r.booked), attended: Number(r.attended) }))
}

/**
 * Every booking that ever had a seat on a class whose first meeting falls in the span,
 * with the class's first meeting: what freed seats and their refills are counted from.
 * Cancelled classes are left out.
 */
export async function listSeatBookings (db: DbOrTx, span: Span): Promise<Array<{ classId: number, locationId: number, locationName: string, firstStartsAt: string, firstEndsAt: string, source: string, createdAt: string, confirmedAt: string | null, cancelledAt: string | null, cancelledBy: CancelledBy | null, filledBy: FilledBy | null, overCapacity: boolean }>> {
  // A class's meetings do not overlap: the one that ends first is the first one.
  const first = db.selectFrom('meetings').select(['class_id', sql<string>`min(starts_at)`.as('first_starts_at'), sql<string>`min(ends_at)`.as('first_ends_at')]).groupBy('class_id')
  const rows = await db.selectFrom('bookings')
    .innerJoin('classes', 'classes.id', 'bookings.class_id')
    .innerJoin(first.as('first'), 'first.class_id', 'classes.id')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .select([
      'classes.id as class_id', 'locations.id as location_id', 'locations.name', 'first.first_starts_at', 'first.first_ends_at',
      'bookings.id', 'bookings.source', 'bookings.created_at', 'bookings.confirmed_at', 'bookings.cancelled_at', 'bookings.cancelled_by', 'bookings.filled_by', 'bookings.over_capacity'
    ])
    .where('bookings.confirmed_at', 'is not', null)
    .where('classes.cancelled_at', 'is', null)
    .where('first.first_starts_at', '>=', span.from).where('first.first_starts_at', '<', span.to)
    .orderBy('classes.id').orderBy('bookings.id').execute()
  return rows.map(r => ({ classId: r.class_id, locationId: r.location_id, locationName: r.name, firstStartsAt: r.first_starts_at, firstEndsAt: r.first_ends_at, source: r.source, createdAt: r.created_at, confirmedAt: r.confirmed_at, cancelledAt: r.cancelled_at, cancelledBy: r.cancelled_by, filledBy: r.filled_by, overCapacity: r.over_capacity === 1 }))
}
