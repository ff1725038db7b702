import type { DbOrTx } from '../db/connection.ts'
import type { ClassRow, ClassUpdate, MeetingRow, NewClass } from '../db/schema.ts'

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
  waitlistMode: 'auto' | 'call'
  cancelledAt: string | null
  note: string | null
  firstStartsAt: string | null
  lastEndsAt: string | null
  confirmedCount: number
  waitlistCount: number
  meetings: MeetingRow[]
}

export async function insertClass (db: DbOrTx, cls: NewClass, meetings: Array<{ startsAt: string, endsAt: string }>): Promise<number> {
  const { id } = await db.insertInto('classes').values(cls).returning('id').executeTakeFirstOrThrow()
  if (meetings.length > 0) {
    await db.insertInto('meetings').values(meetings.map(m => ({ class_id: id, starts_at: m.startsAt, ends_at: m.endsAt }))).execute()
  }
  return id
}

export async function findClassRow (db: DbOrTx, id: number): Promise<ClassRow | undefined> {
  return await db.selectFrom('classes').selectAll().where('id', '=', id).executeTakeFirst()
}

/**
 * Takes the write lock on one class for the rest of the transaction: a no-op update
 * locks the row on PostgreSQL and the database on SQLite, so that counting seats and
 * inserting a booking cannot interleave with another booking for the same class.
 */
export async function lockClass (db: DbOrTx, id: number): Promise<ClassRow | undefined> {
  const result = await db.updateTable('classes').set(eb => ({ capacity: eb.ref('capacity') })).where('id', '=', id).executeTakeFirst()
  if (Number(result.numUpdatedRows) === 0) return undefined
  return await findClassRow(db, id)
}

export async function listMeetings (db: DbOrTx, classIds: number[]): Promise<MeetingRow[]> {
  if (classIds.length === 0) return []
  return await db.selectFrom('meetings').selectAll().where('class_id', 'in', classIds).orderBy('starts_at').orderBy('id').execute()
}

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
  limit?: number
}

/** Classes with their course, place, meetings and derived seat counts. */
export async function findClassSummaries (db: DbOrTx, filter: ClassFilter): Promise<ClassSummary[]> {
  let query = db.selectFrom('classes')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .select(eb => [
      'classes.id', 'classes.course_slug', 'classes.partner_id', 'classes.capacity', 'classes.is_public', 'classes.waitlist_mode', 'classes.cancelled_at', 'classes.note',
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
  query = query.orderBy('first_starts_at').orderBy('classes.id')
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
    cancelledAt: r.cancelled_at,
    note: r.note,
    firstStartsAt: (r.first_starts_at as string | null) ?? null,
    lastEndsAt: (r.last_ends_at as string | null) ?? null,
    confirmedCount: Number(r.confirmed_count ?? 0),
    waitlistCount: Number(r.waitlist_count ?? 0),
    meetings: byClass.get(r.id) ?? []
  }))
}

export async function findClassSummary (db: DbOrTx, id: number): Promise<ClassSummary | undefined> {
  const [summary] = await findClassSummaries(db, { ids: [id], includeCancelled: true })
  return summary
}

export async function updateClassRow (db: DbOrTx, id: number, changes: ClassUpdate): Promise<void> {
  await db.updateTable('classes').set(changes).where('id', '=', id).execute()
}

/**
 * Sets a class's meetings, keeping the rows (and their ids) of meetings that stay, in
 * order: the first existing meeting becomes the first new one, and so on.
 */
export async function replaceMeetings (db: DbOrTx, classId: number, meetings: Array<{ startsAt: string, endsAt: string }>): Promise<void> {
  const existing = await listMeetings(db, [classId])
  for (const [i, m] of meetings.entries()) {
    const row = existing[i]
    if (row) {
      await db.updateTable('meetings').set({ starts_at: m.startsAt, ends_at: m.endsAt }).where('id', '=', row.id).execute()
      // A "called" tick was about the old time; the person must be called again.
      if (row.starts_at !== m.startsAt) await db.deleteFrom('reminder_calls').where('meeting_id', '=', row.id).execute()
    } else await db.insertInto('meetings').values({ class_id: classId, starts_at: m.startsAt, ends_at: m.endsAt }).execute()
  }
  const surplus = existing.slice(meetings.length).map(m => m.id)
  if (surplus.length > 0) await db.deleteFrom('meetings').where('id', 'in', surplus).execute()
}

export async function findClassIdsWithMeetingsBetween (db: DbOrTx, from: string, to: string): Promise<number[]> {
  const rows = await db.selectFrom('meetings').select('class_id').distinct()
    .where('starts_at', '>=', from).where('starts_at', '<', to).execute()
  return rows.map(r => r.class_id)
}
