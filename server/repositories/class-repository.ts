import type { DbOrTx, Tx } from '../db/connection.ts'
import type { ClassRow, ClassUpdate, ConfirmMode, MeetingRow, NewClass, WaitlistMode } from '../db/schema.ts'
import { type MeetingPlan, type PlannedMeeting, planMeetings } from '../domain/class-form.ts'
import type { PlannedElsewhere } from '../domain/clashes.ts'
import { prepare } from '../db/prepared.ts'
import { CLASS_COLUMNS, MEETING_COLUMNS } from '../db/columns.ts'

export interface ClassSummary {
  id: number
  courseSlug: string
  courseTitle: string
  topic: string
  level: string
  locationId: number
  partnerId: number | null
  locationName: string
  street: string
  postalCode: string
  city: string
  room: string | null
  stepFree: boolean
  hearingLoop: boolean
  capacity: number
  isPublic: boolean
  waitlistMode: WaitlistMode
  offerHours: number
  confirmMode: ConfirmMode
  confirmDays: number
  releaseHours: number | null
  cancelledAt: string | null
  note: string | null
  firstStartsAt: string | null
  lastEndsAt: string | null
  confirmedCount: number
  waitlistCount: number
  meetings: MeetingRow[]
  version: number
  /** The SEQUENCE of its calendar events, and when it was last raised (LAST-MODIFIED). */
  calendarSequence: number
  calendarModifiedAt: string
}

export async function insertClass (db: DbOrTx, cls: NewClass, meetings: Array<{ startsAt: string, endsAt: string }>): Promise<number> {
  const { id } = await db.insertInto('classes').values(cls).returning('id').executeTakeFirstOrThrow()
  if (meetings.length > 0) {
    await db.insertInto('meetings').values(meetings.map(m => ({ class_id: id, starts_at: m.startsAt, ends_at: m.endsAt }))).execute()
  }
  return id
}

const classById = prepare((db, v: { id: number }) => db.selectFrom('classes').select(CLASS_COLUMNS).where('id', '=', v.id))

export async function findClassRow (db: DbOrTx, id: number): Promise<ClassRow | undefined> {
  return await classById.first(db, { id })
}

/**
 * Takes the write lock on one class for the rest of the transaction: a no-op update
 * locks the row on PostgreSQL and the database on SQLite, so that counting seats and
 * inserting a booking cannot interleave with another booking for the same class.
 */
export async function lockClass (db: Tx, id: number): Promise<ClassRow | undefined> {
  return await touchClass.first(db, { id })
}

// The row comes back from the update itself: one statement less on every booking.
const touchClass = prepare((db, v: { id: number }) => db.updateTable('classes').set(eb => ({ capacity: eb.ref('capacity') })).where('id', '=', v.id).returning(CLASS_COLUMNS))

export async function findMeeting (db: DbOrTx, id: number): Promise<MeetingRow | undefined> {
  return await db.selectFrom('meetings').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function listMeetings (db: DbOrTx, classIds: number[]): Promise<MeetingRow[]> {
  if (classIds.length === 0) return []
  if (classIds.length === 1) return await meetingsOfClass.all(db, { classId: classIds[0] as number })
  return await db.selectFrom('meetings').selectAll().where('class_id', 'in', classIds).orderBy('starts_at').orderBy('id').execute()
}

// One class's meetings: the same SQL as the list's with one id (`in (?)`).
const meetingsOfClass = prepare((db, v: { classId: number }) => db.selectFrom('meetings').select(MEETING_COLUMNS).where('class_id', 'in', [v.classId]).orderBy('starts_at').orderBy('id'))

export interface ClassFilter {
  /** Only classes whose first meeting starts after this moment. */
  startsAfter?: string
  /** Only classes whose last meeting ends after this moment. */
  endsAfter?: string
  publicOnly?: boolean
  includeCancelled?: boolean
  topic?: string
  locationId?: number
  courseSlug?: string
  ids?: number[]
  /** Only classes whose last meeting ended at or before this moment. */
  endedBy?: string
  /** Only classes with a meeting starting in [from, to). */
  meetingFrom?: string
  meetingTo?: string
  /** Latest first meeting first (for past classes). */
  newestFirst?: boolean
  limit?: number
}

/** Classes with their course, place, meetings and derived seat counts. */
export async function findClassSummaries (db: DbOrTx, filter: ClassFilter): Promise<ClassSummary[]> {
  let query = db.selectFrom('classes')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .select(eb => [
      'classes.id', 'classes.course_slug', 'classes.partner_id', 'classes.capacity', 'classes.is_public', 'classes.waitlist_mode', 'classes.offer_hours', 'classes.confirm_mode', 'classes.confirm_days', 'classes.release_hours', 'classes.cancelled_at', 'classes.note', 'classes.version',
      'classes.calendar_sequence', 'classes.calendar_modified_at', 'classes.created_at',
      'courses.title as course_title', 'courses.topic', 'courses.level',
      'locations.id as location_id', 'locations.name as location_name', 'locations.street', 'locations.postal_code',
      'locations.city', 'locations.room', 'locations.step_free', 'locations.hearing_loop',
      eb.selectFrom('meetings').whereRef('meetings.class_id', '=', 'classes.id').select(e => e.fn.min('meetings.starts_at').as('v')).as('first_starts_at'),
      eb.selectFrom('meetings').whereRef('meetings.class_id', '=', 'classes.id').select(e => e.fn.max('meetings.ends_at').as('v')).as('last_ends_at'),
      eb.selectFrom('bookings').whereRef('bookings.class_id', '=', 'classes.id').where('bookings.status', '=', 'confirmed')
        .select(e => e.fn.countAll().as('v')).as('confirmed_count'),
      eb.selectFrom('bookings').whereRef('bookings.class_id', '=', 'classes.id').where('bookings.status', '=', 'waitlisted')
        .select(e => e.fn.countAll().as('v')).as('waitlist_count')
    ])
    .where('courses.in_catalogue', '=', 1)

  if (filter.publicOnly) query = query.where('classes.is_public', '=', 1)
  if (!filter.includeCancelled) query = query.where('classes.cancelled_at', 'is', null)
  if (filter.topic) query = query.where('courses.topic', '=', filter.topic)
  if (filter.locationId !== undefined) query = query.where('classes.location_id', '=', filter.locationId)
  if (filter.courseSlug) query = query.where('classes.course_slug', '=', filter.courseSlug)
  if (filter.ids) query = query.where('classes.id', 'in', filter.ids.length > 0 ? filter.ids : [-1])
  if (filter.startsAfter) {
    const after = filter.startsAfter
    // A class that has not begun has all its meetings after the moment: the meetings'
    // start index finds those few classes at once, instead of every class ever held.
    query = query.where('classes.id', 'in', eb => eb.selectFrom('meetings').select('meetings.class_id').where('meetings.starts_at', '>', after))
    query = query.where(eb => eb(
      eb.selectFrom('meetings').whereRef('meetings.class_id', '=', 'classes.id').select(e => e.fn.min('meetings.starts_at').as('v')),
      '>', after))
  }
  if (filter.endsAfter) {
    const after = filter.endsAfter
    query = query.where(eb => eb(
      eb.selectFrom('meetings').whereRef('meetings.class_id', '=', 'classes.id').select(e => e.fn.max('meetings.ends_at').as('v')),
      '>', after))
  }
  if (filter.endedBy) {
    const by = filter.endedBy
    query = query.where(eb => eb(
      eb.selectFrom('meetings').whereRef('meetings.class_id', '=', 'classes.id').select(e => e.fn.max('meetings.ends_at').as('v')),
      '<=', by))
  }
  if (filter.meetingFrom !== undefined || filter.meetingTo !== undefined) {
    const { meetingFrom: from, meetingTo: to } = filter
    query = query.where(eb => eb.exists(eb.selectFrom('meetings').select('meetings.id').whereRef('meetings.class_id', '=', 'classes.id')
      .$if(from !== undefined, q => q.where('meetings.starts_at', '>=', from!))
      .$if(to !== undefined, q => q.where('meetings.starts_at', '<', to!))))
  }
  query = filter.newestFirst ? query.orderBy('first_starts_at', 'desc').orderBy('classes.id', 'desc') : query.orderBy('first_starts_at').orderBy('classes.id')
  if (filter.limit) query = query.limit(filter.limit)

  const rows = await query.execute()
  const meetings = await listMeetings(db, rows.map(r => r.id))
  const byClass = new Map<number, MeetingRow[]>()
  for (const m of meetings) byClass.set(m.class_id, [...(byClass.get(m.class_id) ?? []), m])

  return rows.map(r => ({
    id: r.id,
    courseSlug: r.course_slug,
    courseTitle: r.course_title,
    topic: r.topic,
    level: r.level,
    locationId: r.location_id,
    partnerId: r.partner_id,
    locationName: r.location_name,
    street: r.street,
    postalCode: r.postal_code,
    city: r.city,
    room: r.room,
    stepFree: r.step_free === 1,
    hearingLoop: r.hearing_loop === 1,
    capacity: r.capacity,
    isPublic: r.is_public === 1,
    waitlistMode: r.waitlist_mode,
    offerHours: r.offer_hours,
    confirmMode: r.confirm_mode,
    confirmDays: r.confirm_days,
    releaseHours: r.release_hours,
    cancelledAt: r.cancelled_at,
    note: r.note,
    firstStartsAt: (r.first_starts_at as string | null) ?? null,
    lastEndsAt: (r.last_ends_at as string | null) ?? null,
    confirmedCount: Number(r.confirmed_count ?? 0),
    waitlistCount: Number(r.waitlist_count ?? 0),
    meetings: byClass.get(r.id) ?? [],
    version: r.version,
    calendarSequence: r.calendar_sequence,
    calendarModifiedAt: r.calendar_modified_at ?? r.created_at
  }))
}

export async function findClassSummary (db: DbOrTx, id: number): Promise<ClassSummary | undefined> {
  const [summary] = await findClassSummaries(db, { ids: [id], includeCancelled: true })
  return summary
}

/**
 * Changes a class and bumps its version. With `expectedVersion`, only when the class is
 * still at that version (a conditional update): false when it was not, and nothing changed.
 */
export async function updateClassRow (db: DbOrTx, id: number, changes: ClassUpdate, expectedVersion?: number): Promise<boolean> {
  let query = db.updateTable('classes').set(eb => ({ ...changes, version: eb('version', '+', 1) })).where('id', '=', id)
  if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion)
  const result = await query.executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/**
 * Raises the SEQUENCE of the calendar events of these classes (a meeting's time, the place
 * or the class's being on changed), so calendar programs take the new version.
 */
export async function raiseCalendarSequence (db: DbOrTx, classIds: number[], at: string): Promise<void> {
  if (classIds.length === 0) return
  await db.updateTable('classes')
    .set(eb => ({ calendar_sequence: eb('calendar_sequence', '+', 1), calendar_modified_at: at }))
    .where('id', 'in', classIds).execute()
}

/** The classes held at a place that have a meeting still to end: those whose calendar events show it. */
export async function listClassIdsAtLocationNotEnded (db: DbOrTx, locationId: number, at: string): Promise<number[]> {
  const rows = await db.selectFrom('classes').select('classes.id')
    .where('classes.location_id', '=', locationId)
    .where(eb => eb.exists(eb.selectFrom('meetings').select('meetings.id').whereRef('meetings.class_id', '=', 'classes.id').where('meetings.ends_at', '>', at)))
    .execute()
  return rows.map(r => r.id)
}

/** Of these meetings, those that records hang on: attendance (check-ins) or a milestone reached there. */
export async function listMeetingIdsInUse (db: DbOrTx, meetingIds: number[]): Promise<number[]> {
  if (meetingIds.length === 0) return []
  const rows = await db.selectFrom('meetings').select('id').where('id', 'in', meetingIds)
    .where(eb => eb.or([
      eb.exists(eb.selectFrom('attendances').select('attendances.id').whereRef('attendances.meeting_id', '=', 'meetings.id')),
      eb.exists(eb.selectFrom('milestones').select('milestones.id').whereRef('milestones.meeting_id', '=', 'meetings.id'))
    ])).orderBy('id').execute()
  return rows.map(r => r.id)
}

/**
 * Carries out a plan for a class's meetings (see planMeetings): kept meetings keep their
 * row and id, new ones are added, the rest deleted. Only meetings of this class are touched.
 */
export async function applyMeetingPlan (db: DbOrTx, classId: number, plan: MeetingPlan): Promise<void> {
  const before = new Map((await listMeetings(db, [classId])).map(m => [m.id, m]))
  for (const m of plan.keep) {
    const row = before.get(m.id)
    if (!row || (row.starts_at === m.startsAt && row.ends_at === m.endsAt)) continue
    await db.updateTable('meetings').set({ starts_at: m.startsAt, ends_at: m.endsAt }).where('id', '=', m.id).where('class_id', '=', classId).execute()
    // A "called" tick was about the old time; the person must be called again.
    if (row.starts_at !== m.startsAt) await db.deleteFrom('reminder_calls').where('meeting_id', '=', m.id).execute()
  }
  if (plan.add.length > 0) await db.insertInto('meetings').values(plan.add.map(m => ({ class_id: classId, starts_at: m.startsAt, ends_at: m.endsAt }))).execute()
  if (plan.remove.length > 0) await db.deleteFrom('meetings').where('class_id', '=', classId).where('id', 'in', plan.remove).execute()
}

/** Sets a class's meetings: matched by id (or the same start), never by position. */
export async function replaceMeetings (db: DbOrTx, classId: number, meetings: PlannedMeeting[]): Promise<void> {
  await applyMeetingPlan(db, classId, planMeetings(await listMeetings(db, [classId]), meetings))
}

export async function findClassIdsWithMeetingsBetween (db: DbOrTx, from: string, to: string): Promise<number[]> {
  const rows = await db.selectFrom('meetings').select('class_id').distinct()
    .where('starts_at', '>=', from).where('starts_at', '<', to).execute()
  return rows.map(r => r.class_id)
}

/** Meetings of classes that go ahead, other than `exceptClassId`, sharing time with [from, to): to look for clashes. */
export async function listMeetingsOverlapping (db: DbOrTx, from: string, to: string, exceptClassId: number | null): Promise<PlannedElsewhere[]> {
  let query = db.selectFrom('meetings')
    .innerJoin('classes', 'classes.id', 'meetings.class_id')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .select(['meetings.id', 'meetings.class_id', 'meetings.starts_at', 'meetings.ends_at', 'courses.title', 'locations.id as location_id', 'locations.name', 'locations.street', 'locations.postal_code', 'locations.room'])
    .where('meetings.starts_at', '<', to).where('meetings.ends_at', '>', from)
    .where('classes.cancelled_at', 'is', null)
  if (exceptClassId !== null) query = query.where('classes.id', '!=', exceptClassId)
  const rows = await query.orderBy('meetings.starts_at').orderBy('meetings.id').execute()
  return rows.map(r => ({
    meetingId: r.id,
    classId: r.class_id,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    courseTitle: r.title,
    locationName: r.name,
    room: { locationId: r.location_id, street: r.street, postalCode: r.postal_code, room: r.room }
  }))
}
