import { sql } from 'kysely'
import type { DbOrTx, Tx } from '../db/connection.ts'
import { byCount, prepare } from '../db/prepared.ts'
import { ATTENDANCE_COLUMNS } from '../db/columns.ts'
import type { AttendanceRow, CheckinVia, MeetingRow } from '../db/schema.ts'
import type { MeetingSeat } from '../domain/no-shows.ts'

/** One meeting with what a check-in needs to know about its class. */
export interface MeetingContext {
  meeting: MeetingRow
  classId: number
  capacity: number
  cancelledAt: string | null
  walkinsOverCapacity: boolean
  locationId: number
  locationName: string
  room: string | null
  courseSlug: string
  courseTitle: string
  topic: string
  learningGoals: string[]
}

export async function findMeetingContext (db: DbOrTx, meetingId: number): Promise<MeetingContext | undefined> {
  const row = await meetingContext.first(db, { meetingId })
  if (!row) return undefined
  return {
    meeting: { id: row.id, class_id: row.class_id, starts_at: row.starts_at, ends_at: row.ends_at },
    classId: row.class_id,
    capacity: row.capacity,
    cancelledAt: row.cancelled_at,
    walkinsOverCapacity: row.walkins_over_capacity === 1,
    locationId: row.location_id,
    locationName: row.location_name,
    room: row.room,
    courseSlug: row.slug,
    courseTitle: row.title,
    topic: row.topic,
    learningGoals: JSON.parse(row.learning_goals_json) as string[]
  }
}

const meetingContext = prepare((db, v: { meetingId: number }) => db.selectFrom('meetings')
  .innerJoin('classes', 'classes.id', 'meetings.class_id')
  .innerJoin('courses', 'courses.slug', 'classes.course_slug')
  .innerJoin('locations', 'locations.id', 'classes.location_id')
  .select([
    'meetings.id', 'meetings.class_id', 'meetings.starts_at', 'meetings.ends_at',
    'classes.capacity', 'classes.cancelled_at', 'classes.walkins_over_capacity', 'classes.location_id',
    'locations.name as location_name', 'locations.room', 'courses.slug', 'courses.title', 'courses.topic', 'courses.learning_goals_json'
  ])
  .where('meetings.id', '=', v.meetingId))

/** Meetings that start between two moments, with their class's course and place. */
export async function listMeetingsBetween (db: DbOrTx, from: string, to: string): Promise<Array<{ meetingId: number, classId: number, startsAt: string, endsAt: string, courseTitle: string, locationName: string, room: string | null, confirmed: number, attended: number }>> {
  const rows = await db.selectFrom('meetings')
    .innerJoin('classes', 'classes.id', 'meetings.class_id')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .select(eb => [
      'meetings.id', 'meetings.class_id', 'meetings.starts_at', 'meetings.ends_at', 'courses.title', 'locations.name', 'locations.room',
      eb.selectFrom('bookings').whereRef('bookings.class_id', '=', 'classes.id').where('bookings.status', '=', 'confirmed').select(e => e.fn.countAll<number>().as('n')).as('confirmed'),
      eb.selectFrom('attendances').whereRef('attendances.meeting_id', '=', 'meetings.id').select(e => e.fn.countAll<number>().as('n')).as('attended')
    ])
    .where('meetings.starts_at', '>=', from)
    .where('meetings.starts_at', '<', to)
    .where('classes.cancelled_at', 'is', null)
    .orderBy('meetings.starts_at').orderBy('meetings.id')
    .execute()
  return rows.map(r => ({ meetingId: r.id, classId: r.class_id, startsAt: r.starts_at, endsAt: r.ends_at, courseTitle: r.title, locationName: r.name, room: r.room, confirmed: Number(r.confirmed ?? 0), attended: Number(r.attended ?? 0) }))
}

/** Inserts an attendance unless the booking is already checked in at the meeting. */
export async function insertAttendance (db: DbOrTx, a: { bookingId: number, meetingId: number, participantId: number, at: string, staffUserId: number | null, via: CheckinVia }): Promise<AttendanceRow | undefined> {
  return await attendanceInsert.first(db, a)
}

const attendanceInsert = prepare((db, a: { bookingId: number, meetingId: number, participantId: number, at: string, staffUserId: number | null, via: CheckinVia }) => db.insertInto('attendances')
  .values({ booking_id: a.bookingId, meeting_id: a.meetingId, participant_id: a.participantId, checked_in_at: a.at, staff_user_id: a.staffUserId, via: a.via })
  .onConflict(oc => oc.columns(['booking_id', 'meeting_id']).doNothing())
  .returning(ATTENDANCE_COLUMNS))

export async function deleteAttendance (db: DbOrTx, bookingId: number, meetingId: number): Promise<AttendanceRow | undefined> {
  return await db.deleteFrom('attendances').where('booking_id', '=', bookingId).where('meeting_id', '=', meetingId).returningAll().executeTakeFirst()
}

export async function listAttendedBookingIds (db: DbOrTx, meetingId: number): Promise<number[]> {
  const rows = await attendedAt.all(db, { meetingId })
  return rows.map(r => r.booking_id)
}

const attendedAt = prepare((db, v: { meetingId: number }) => db.selectFrom('attendances').select('booking_id').where('meeting_id', '=', v.meetingId))

/** Every attendance on a class's meetings, as "bookingId:meetingId" pairs. */
export async function listAttendancesOfClass (db: DbOrTx, classId: number): Promise<Array<{ bookingId: number, meetingId: number, via: string }>> {
  const rows = await db.selectFrom('attendances')
    .innerJoin('meetings', 'meetings.id', 'attendances.meeting_id')
    .select(['attendances.booking_id', 'attendances.meeting_id', 'attendances.via'])
    .where('meetings.class_id', '=', classId)
    .execute()
  return rows.map(r => ({ bookingId: r.booking_id, meetingId: r.meeting_id, via: r.via }))
}

export async function listAttendancesOfBookings (db: DbOrTx, bookingIds: number[]): Promise<Array<{ bookingId: number, meetingId: number }>> {
  if (bookingIds.length === 0) return []
  const rows = await db.selectFrom('attendances').select(['booking_id', 'meeting_id']).where('booking_id', 'in', bookingIds).execute()
  return rows.map(r => ({ bookingId: r.booking_id, meetingId: r.meeting_id }))
}

/**
 * The participant's earliest remaining attendance in a scope, used when the attendance
 * that first counted them there is undone.
 */
export async function findFirstAttendanceInScope (db: DbOrTx, participantId: number, scope: string): Promise<AttendanceRow | undefined> {
  let query = db.selectFrom('attendances')
    .innerJoin('bookings', 'bookings.id', 'attendances.booking_id')
    .innerJoin('classes', 'classes.id', 'bookings.class_id')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .selectAll('attendances')
    .where('attendances.participant_id', '=', participantId)
  if (scope.startsWith('location:')) query = query.where('classes.location_id', '=', Number(scope.slice(9)))
  else if (scope.startsWith('topic:')) query = query.where('courses.topic', '=', scope.slice(6))
  return await query.orderBy('attendances.checked_in_at').orderBy('attendances.id').executeTakeFirst()
}

/**
 * Takes the locks for counting in these scopes until the transaction ends (row locks on
 * PostgreSQL, taken in the order given, so pass the scopes in one order everywhere;
 * SQLite holds the database's write lock for the whole transaction anyway). One
 * statement: a check-in waits for the scopes while holding nothing else.
 */
export async function lockScopes (db: Tx, scopes: string[], at: string): Promise<void> {
  await scopeLocks(scopes.length).run(db, { ...numbered(scopes), at })
}

const scopeLocks = byCount(count => prepare((db, v: Record<string, string>) => db.insertInto('milestone_scopes')
  .values(Array.from({ length: count }, (_, i) => ({ scope: v[`s${i}`] as string, locked_at: v.at as string })))
  .onConflict(oc => oc.column('scope').doUpdateSet({ locked_at: v.at as string }))))

/**
 * Counts a participant in the scopes where they were not counted yet, with the
 * attendance that counted them, and returns those scopes. One statement.
 */
export async function insertFirstsInScopes (db: DbOrTx, scopes: string[], participantId: number, attendanceId: number, at: string): Promise<string[]> {
  const rows = await firstInserts(scopes.length).all(db, { ...numbered(scopes), participantId, attendanceId, at })
  return rows.map(r => r.scope)
}

const firstInserts = byCount(count => prepare((db, v: Record<string, unknown>) => db.insertInto('participant_firsts')
  .values(Array.from({ length: count }, (_, i) => ({ scope: v[`s${i}`] as string, participant_id: v.participantId as number, attendance_id: v.attendanceId as number, at: v.at as string })))
  .onConflict(oc => oc.columns(['scope', 'participant_id']).doNothing())
  .returning('scope')))

/** The scopes as the values s0, s1, …, for a query prepared for so many. */
const numbered = (scopes: string[]) => Object.fromEntries(scopes.map((s, i) => [`s${i}`, s]))

export async function findFirstInScope (db: DbOrTx, scope: string, participantId: number): Promise<{ attendance_id: number } | undefined> {
  return await db.selectFrom('participant_firsts').select('attendance_id').where('scope', '=', scope).where('participant_id', '=', participantId).executeTakeFirst()
}

export async function moveFirstInScope (db: DbOrTx, scope: string, participantId: number, attendanceId: number, at: string): Promise<void> {
  await db.updateTable('participant_firsts').set({ attendance_id: attendanceId, at }).where('scope', '=', scope).where('participant_id', '=', participantId).execute()
}

export async function deleteFirstInScope (db: DbOrTx, scope: string, participantId: number): Promise<void> {
  await db.deleteFrom('participant_firsts').where('scope', '=', scope).where('participant_id', '=', participantId).execute()
}

/**
 * Who holds place `n` in a scope's order of first attendances (by time, then by
 * attendance), with where that attendance was: for handing on a released milestone.
 */
export async function findNthInScope (db: DbOrTx, scope: string, n: number): Promise<{ participantId: number, attendanceId: number, bookingId: number, meetingId: number, classId: number, name: string, courseTitle: string, locationName: string } | undefined> {
  const place = await db.selectFrom('participant_firsts').select(['participant_id', 'attendance_id'])
    .where('scope', '=', scope)
    .orderBy('at').orderBy('attendance_id')
    .limit(1).offset(n - 1)
    .executeTakeFirst()
  if (!place) return undefined
  const row = await db.selectFrom('attendances')
    .innerJoin('participants', 'participants.id', 'attendances.participant_id')
    .innerJoin('meetings', 'meetings.id', 'attendances.meeting_id')
    .innerJoin('classes', 'classes.id', 'meetings.class_id')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .select(['attendances.booking_id', 'attendances.meeting_id', 'classes.id as class_id', 'participants.name', 'courses.title', 'locations.name as location_name'])
    .where('attendances.id', '=', place.attendance_id)
    .executeTakeFirst()
  return row ? { participantId: place.participant_id, attendanceId: place.attendance_id, bookingId: row.booking_id, meetingId: row.meeting_id, classId: row.class_id, name: row.name, courseTitle: row.title, locationName: row.location_name } : undefined
}

/** Unique participants in a scope. */
export async function countInScope (db: DbOrTx, scope: string): Promise<number> {
  const row = await inScope.first(db, { scope })
  return Number(row?.n ?? 0)
}

const inScope = prepare((db, v: { scope: string }) => db.selectFrom('participant_firsts').select(eb => eb.fn.countAll<number>().as('n')).where('scope', '=', v.scope))

/** Unique participants of every scope that has any. */
export async function countAllScopes (db: DbOrTx): Promise<Map<string, number>> {
  const rows = await db.selectFrom('participant_firsts').select(['scope', eb => eb.fn.countAll<number>().as('n')]).groupBy('scope').execute()
  return new Map(rows.map(r => [r.scope, Number(r.n)]))
}

export async function countAttendances (db: DbOrTx): Promise<number> {
  const row = await db.selectFrom('attendances').select(eb => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Moves attendances and first-counts from one participant record to another (merging duplicates). */
export async function moveAttendancesToParticipant (db: DbOrTx, fromId: number, toId: number): Promise<void> {
  await db.updateTable('attendances').set({ participant_id: toId }).where('participant_id', '=', fromId).execute()
  // Where both were counted in a scope, the kept person keeps the earlier first attendance.
  await db.deleteFrom('participant_firsts')
    .where('participant_id', '=', fromId)
    .where(eb => eb.exists(eb.selectFrom('participant_firsts as kept').select(sql.lit(1).as('x')).whereRef('kept.scope', '=', 'participant_firsts.scope').where('kept.participant_id', '=', toId).whereRef('kept.at', '<=', 'participant_firsts.at')))
    .execute()
  await db.deleteFrom('participant_firsts')
    .where('participant_id', '=', toId)
    .where(eb => eb.exists(eb.selectFrom('participant_firsts as other').select(sql.lit(1).as('x')).whereRef('other.scope', '=', 'participant_firsts.scope').where('other.participant_id', '=', fromId)))
    .execute()
  await db.updateTable('participant_firsts').set({ participant_id: toId }).where('participant_id', '=', fromId).execute()
  await db.updateTable('milestones').set({ participant_id: toId }).where('participant_id', '=', fromId).execute()
}

/**
 * Each meeting of each class a participant booked (not only waited for), with whether they
 * came: what their attended and missed meetings are worked out from (domain/no-shows.ts).
 */
export async function listMeetingSeatsOfParticipant (db: DbOrTx, participantId: number): Promise<MeetingSeat[]> {
  const rows = await db.selectFrom('bookings')
    .innerJoin('classes', 'classes.id', 'bookings.class_id')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .innerJoin('meetings', 'meetings.class_id', 'classes.id')
    .leftJoin('attendances', join => join.onRef('attendances.booking_id', '=', 'bookings.id').onRef('attendances.meeting_id', '=', 'meetings.id'))
    .select([
      'bookings.id', 'bookings.class_id', 'bookings.source', 'bookings.created_at', 'bookings.confirmed_at', 'bookings.cancelled_at', 'bookings.cancelled_by',
      'classes.cancelled_at as class_cancelled_at', 'courses.title', 'locations.name', 'meetings.id as meeting_id', 'meetings.starts_at', 'attendances.id as attendance_id'
    ])
    .where('bookings.participant_id', '=', participantId)
    .where('bookings.confirmed_at', 'is not', null)
    .orderBy('meetings.starts_at', 'desc').orderBy('meetings.id', 'desc')
    .execute()
  return rows.map(r => ({ bookingId: r.id, classId: r.class_id, source: r.source, createdAt: r.created_at, confirmedAt: r.confirmed_at, cancelledAt: r.cancelled_at, cancelledBy: r.cancelled_by, classCancelledAt: r.class_cancelled_at, courseTitle: r.title, locationName: r.name, meetingId: r.meeting_id, startsAt: r.starts_at, attended: r.attendance_id !== null }))
}
