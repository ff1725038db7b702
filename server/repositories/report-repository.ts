import { sql } from 'kysely'
import { type DbOrTx, isPostgres } from '../db/connection.ts'
import type { CancelledBy, FilledBy } from '../db/schema.ts'
import type { SeatBooking } from '../domain/no-shows.ts'

/** A period as stored moments: [from, to). */
export interface Span { from: string, to: string }

export interface CountRow { key: string, label: string, attendances: number, participants: number }

const counts = sql<number>`count(*)`

export interface MeetingAttendance {
  meetingId: number
  /**
   * The month of the meeting's stored UTC time, yyyy-mm: a meeting between midnight and
   * 02:00 Copenhagen time on the 1st would count in the month before, which no class does.
   */
  month: string
  topic: string
  locationId: number
  locationName: string
  partnerId: number | null
  partnerName: string | null
  attendances: number
  walkIns: number
  /**
   * Attendances on a booking of the meeting's class that held a seat at its start
   * (domain/no-shows.ts): the booked meeting-seats that were used.
   */
  seatsUsed: number
  /** Who came, once per attendance. */
  participantIds: number[]
}

/**
 * The attendances at meetings that start in the span, one row per meeting: what the
 * report counts them by (month, topic, place, partner), how many there were, how many
 * on a walk-in booking and on a booked seat, and who came. Who came is one list per
 * meeting, not a row per attendance: handing a year's 100,000 rows to JavaScript costs
 * more than counting them, and the report counts distinct participants once for all its
 * tables, in the service.
 */
export async function listAttendanceByMeeting (db: DbOrTx, span: Span): Promise<MeetingAttendance[]> {
  const who = isPostgres(db) ? sql<number[] | string>`json_agg(attendances.participant_id)` : sql<number[] | string>`json_group_array(attendances.participant_id)`
  // Counted per meeting in the order of the start index (SQLite needs no sort), then described.
  // walk_in and held_seat are kept on each attendance by triggers, from its booking and
  // meeting (migrations/20261203100000_report_tallies.ts), so the pass reads one index alone.
  const perMeeting = db.selectFrom('attendances')
    .innerJoin('meetings', 'meetings.id', 'attendances.meeting_id')
    .select([
      'meetings.id as meeting_id', counts.as('attendances'), who.as('participant_ids'),
      sql<number>`sum(attendances.walk_in)`.as('walk_ins'),
      sql<number>`sum(attendances.held_seat)`.as('seats_used')
    ])
    .where('meetings.starts_at', '>=', span.from)
    .where('meetings.starts_at', '<', span.to)
    .groupBy(['meetings.starts_at', 'meetings.id'])
  const rows = await db.selectFrom(perMeeting.as('counted'))
    .innerJoin('meetings', 'meetings.id', 'counted.meeting_id')
    .innerJoin('classes', 'classes.id', 'meetings.class_id')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .leftJoin('partners', 'partners.id', 'classes.partner_id')
    .select([
      'meetings.id', sql<string>`substr(meetings.starts_at, 1, 7)`.as('month'), 'courses.topic', 'locations.id as location_id', 'locations.name as location_name',
      'partners.id as partner_id', 'partners.name as partner_name', 'counted.attendances', 'counted.walk_ins', 'counted.seats_used', 'counted.participant_ids'
    ])
    .execute()
  return rows.map(r => ({
    meetingId: r.id,
    month: r.month,
    topic: r.topic,
    locationId: r.location_id,
    locationName: r.location_name,
    partnerId: r.partner_id,
    partnerName: r.partner_name,
    attendances: Number(r.attendances),
    walkIns: Number(r.walk_ins),
    seatsUsed: Number(r.seats_used),
    participantIds: typeof r.participant_ids === 'string' ? JSON.parse(r.participant_ids) as number[] : r.participant_ids
  }))
}

/**
 * The birth years of the given participants (null when not given), and how many of them
 * are returning: they came to a meeting that began before `before`, by the meeting's date,
 * however late the attendance was recorded. One row, with the birth years as a list.
 */
export async function describeParticipants (db: DbOrTx, participantIds: number[], before: string): Promise<{ birthYears: Array<number | null>, returning: number }> {
  if (participantIds.length === 0) return { birthYears: [], returning: 0 }
  // The ids as one value, in rising order so that each look-up lands beside the last.
  // On PostgreSQL an integer[] rather than JSON: the planner then knows how many there
  // are and hashes the participants (93 ms for 50,000 on the bench data), where for
  // JSON it guessed a hundred and looked each one up (179 ms).
  const sorted = Float64Array.from(participantIds).sort().join(',')
  const pg = isPostgres(db)
  const given = pg
    ? sql<{ value: number }>`(select unnest(cast(${`{${sorted}}`} as integer[])) as value)`.as('given')
    : sql<{ value: number }>`json_each(${`[${sorted}]`})`.as('given')
  // Returning: came to a meeting that began before, that is, the earliest meeting they came
  // to (participants.first_came_at, kept by triggers) began before.
  const row = await db.selectFrom(given).innerJoin('participants', 'participants.id', 'given.value')
    .select([
      (pg ? sql<Array<number | null> | string | null>`json_agg(participants.birth_year)` : sql<Array<number | null> | string | null>`json_group_array(participants.birth_year)`).as('birth_years'),
      sql<number>`count(*) filter (where participants.first_came_at < ${before})`.as('returning')
    ])
    .executeTakeFirstOrThrow()
  return {
    birthYears: typeof row.birth_years === 'string' ? JSON.parse(row.birth_years) as Array<number | null> : row.birth_years ?? [],
    returning: Number(row.returning)
  }
}

/**
 * The first meeting of each class that meets in the span: a class whose first meeting
 * falls in the span meets in it, so only those classes' meetings are read, not all.
 */
function firstMeetings (db: DbOrTx, span: Span) {
  return db.selectFrom('meetings')
    .select(['class_id', sql<string>`min(starts_at)`.as('first_starts_at'), sql<string>`min(ends_at)`.as('first_ends_at')])
    .where('class_id', 'in', db.selectFrom('meetings as in_span').select('in_span.class_id').where('in_span.starts_at', '>=', span.from).where('in_span.starts_at', '<', span.to))
    .groupBy('class_id')
}

/**
 * Seats and seats taken on the classes whose first meeting falls in the span, per place.
 * Walk-ins let in beyond the seats are not counted as seats taken (fill rate stays ≤ 100 %).
 */
export async function countSeats (db: DbOrTx, span: Span): Promise<Array<{ key: string, label: string, classes: number, capacity: number, taken: number }>> {
  const rows = await db.selectFrom('classes')
    .innerJoin(firstMeetings(db, span).as('first'), 'first.class_id', 'classes.id')
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
 * Demand the classes could not meet, per course: people who booked a class of the course
 * starting in the span and never got a seat on any class of that course in the span
 * (still waiting, gave up, or moved without a seat). Cancelled classes are left out.
 */
export async function countUnmetDemand (db: DbOrTx, span: Span): Promise<Array<{ key: string, label: string, waiting: number, classes: number }>> {
  const first = firstMeetings(db, span)
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

export interface MeetingSeats {
  meetingId: number
  startsAt: string
  courseSlug: string
  courseTitle: string
  locationId: number
  locationName: string
  /** Bookings of the class that held a seat at every one of these meetings of it. */
  heldThroughout: number
  /** The class's other confirmed bookings, not walk-ins: heldSeatAt (domain/no-shows.ts) tells at which meetings they held a seat. */
  others: Array<Pick<SeatBooking, 'source' | 'confirmedAt' | 'cancelledAt'>>
}

/**
 * The seats booked at the meetings that start in the span and have begun by `until`, in
 * the order the meetings start; cancelled classes are left out. A booking held a seat at
 * a meeting when it was confirmed before it began and not cancelled before (walk-ins are
 * left out: they came). Nearly every booking holds its seat at all the class's meetings,
 * so that is counted once per class, and only the other bookings are listed, to be
 * placed at their meetings with heldSeatAt: far less work than weighing every booking at
 * every meeting (100,000 pairs a year).
 */
type Held = [throughout: number, others: Array<[source: string, confirmedAt: string | null, cancelledAt: string | null]>]

export async function listMeetingSeats (db: DbOrTx, span: Span, until: string): Promise<MeetingSeats[]> {
  // The first and last of these meetings of each class.
  const bounds = db.selectFrom('meetings')
    .innerJoin('classes', 'classes.id', 'meetings.class_id')
    .select(['meetings.class_id', sql<string>`min(meetings.starts_at)`.as('first_at'), sql<string>`max(meetings.starts_at)`.as('last_at')])
    .where('meetings.starts_at', '>=', span.from).where('meetings.starts_at', '<', span.to).where('meetings.starts_at', '<=', until)
    .where('classes.cancelled_at', 'is', null)
    .groupBy('meetings.class_id')
  const throughout = sql<boolean>`bookings.confirmed_at <= bounds.first_at and (bookings.cancelled_at is null or bookings.cancelled_at > bounds.last_at)`
  // Only what the rule needs, all of it in bookings_class_seat_idx: the bookings themselves are not read.
  const fields = sql`bookings.source, bookings.confirmed_at, bookings.cancelled_at`
  // Both in one pass over the class's bookings, as one value: [held throughout, [the others]].
  const held = isPostgres(db)
    ? sql<Held | string>`json_build_array(count(*) filter (where ${throughout}), coalesce(json_agg(json_build_array(${fields})) filter (where not (${throughout})), '[]'))`
    : sql<Held | string>`json_array(count(*) filter (where ${throughout}), json_group_array(json_array(${fields})) filter (where not (${throughout})))`
  // Once per class (materialized, not again per meeting), by a correlated subquery rather
  // than a join and GROUP BY, which would have SQLite sort every booking.
  const rows = await db.with(cte => cte('holders').materialized(), db => db.selectFrom(bounds.as('bounds'))
    .select(eb => [
      'bounds.class_id',
      eb.selectFrom('bookings')
        .select(held.as('held'))
        .whereRef('bookings.class_id', '=', 'bounds.class_id')
        .where('bookings.source', '!=', 'walkin')
        .where('bookings.confirmed_at', 'is not', null)
        .as('held')
    ]))
    .selectFrom('meetings')
    .innerJoin('holders', 'holders.class_id', 'meetings.class_id')
    .innerJoin('classes', 'classes.id', 'meetings.class_id')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .select(['meetings.id', 'meetings.starts_at', 'courses.slug', 'courses.title', 'locations.id as location_id', 'locations.name', 'holders.held'])
    .where('meetings.starts_at', '>=', span.from).where('meetings.starts_at', '<', span.to).where('meetings.starts_at', '<=', until)
    .orderBy('meetings.starts_at').orderBy('meetings.id').execute()
  return rows.map(r => {
    const [throughout, others] = typeof r.held === 'string' ? JSON.parse(r.held) as Held : r.held ?? [0, []]
    return {
      meetingId: r.id,
      startsAt: r.starts_at,
      courseSlug: r.slug,
      courseTitle: r.title,
      locationId: r.location_id,
      locationName: r.name,
      heldThroughout: throughout,
      others: others.map(([source, confirmedAt, cancelledAt]) => ({ source, confirmedAt, cancelledAt }))
    }
  })
}

/**
 * The bookings that ever had a seat on a class whose first meeting falls in the span and
 * may have freed or refilled one, with the class's first meeting: what freed seats and
 * their refills are counted from. Cancelled classes are left out.
 */
export async function listSeatBookings (db: DbOrTx, span: Span): Promise<Array<{ classId: number, locationId: number, locationName: string, firstStartsAt: string, firstEndsAt: string, source: string, createdAt: string, confirmedAt: string | null, cancelledAt: string | null, cancelledBy: CancelledBy | null, filledBy: FilledBy | null, overCapacity: boolean }>> {
  // A class's meetings do not overlap: the one that ends first is the first one.
  const rows = await db.selectFrom('bookings')
    .innerJoin('classes', 'classes.id', 'bookings.class_id')
    .innerJoin(firstMeetings(db, span).as('first'), 'first.class_id', 'classes.id')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .select([
      'classes.id as class_id', 'locations.id as location_id', 'locations.name', 'first.first_starts_at', 'first.first_ends_at',
      'bookings.id', 'bookings.source', 'bookings.created_at', 'bookings.confirmed_at', 'bookings.cancelled_at', 'bookings.cancelled_by', 'bookings.filled_by', 'bookings.over_capacity'
    ])
    .where('bookings.confirmed_at', 'is not', null)
    // Only a booking that may free or refill a seat (domain/no-shows.ts): one booked and
    // confirmed at once and never cancelled does neither, and that is nearly every booking.
    .where(eb => eb.or([
      eb('bookings.cancelled_at', 'is not', null), eb('bookings.source', '=', 'walkin'), eb('bookings.filled_by', 'is not', null),
      eb('bookings.confirmed_at', '!=', eb.ref('bookings.created_at'))
    ]))
    .where('classes.cancelled_at', 'is', null)
    .where('first.first_starts_at', '>=', span.from).where('first.first_starts_at', '<', span.to)
    .orderBy('classes.id').orderBy('bookings.id').execute()
  return rows.map(r => ({ classId: r.class_id, locationId: r.location_id, locationName: r.name, firstStartsAt: r.first_starts_at, firstEndsAt: r.first_ends_at, source: r.source, createdAt: r.created_at, confirmedAt: r.confirmed_at, cancelledAt: r.cancelled_at, cancelledBy: r.cancelled_by, filledBy: r.filled_by, overCapacity: r.over_capacity === 1 }))
}
