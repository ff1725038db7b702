import { type DbOrTx, isPostgres } from '../db/connection.ts'
import type { ExpressionBuilder } from 'kysely'
import type { Database, Device, ParticipantRow } from '../db/schema.ts'
import { prepare } from '../db/prepared.ts'
import { PARTICIPANT_COLUMNS } from '../db/columns.ts'

export async function findParticipant (db: DbOrTx, id: number): Promise<ParticipantRow | undefined> {
  return await db.selectFrom('participants').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Participants who share a phone number or an e-mail address with the given ones. */
export async function findParticipantsByContact (db: DbOrTx, phone: string | null, email: string | null): Promise<ParticipantRow[]> {
  if (phone === null && email === null) return []
  if (email === null) return await byPhone.all(db, { phone })
  if (phone === null) return await byEmail.all(db, { email })
  return await byPhoneOrEmail.all(db, { phone, email })
}

const byPhone = prepare((db, v: { phone: string | null }) => db.selectFrom('participants').select(PARTICIPANT_COLUMNS)
  .where(eb => eb.or([eb('phone', '=', v.phone)])).orderBy('id'))
const byEmail = prepare((db, v: { email: string | null }) => db.selectFrom('participants').select(PARTICIPANT_COLUMNS)
  .where(eb => eb.or([eb('email', '=', v.email)])).orderBy('id'))
const byPhoneOrEmail = prepare((db, v: { phone: string | null, email: string | null }) => db.selectFrom('participants').select(PARTICIPANT_COLUMNS)
  .where(eb => eb.or([eb('phone', '=', v.phone), eb('email', '=', v.email)])).orderBy('id'))

export async function searchParticipants (db: DbOrTx, text: string, limit = 50): Promise<ParticipantRow[]> {
  const like = `%${text.replace(/[%_\\]/g, '')}%`
  // Case does not matter: SQLite's LIKE ignores it (for a-z), PostgreSQL needs ILIKE.
  const op = isPostgres(db) ? 'ilike' : 'like'
  return await db.selectFrom('participants').selectAll()
    .where(eb => eb.or([eb('name', op, like), eb('phone', op, like), eb('email', op, like)]))
    .orderBy('name').orderBy('id').limit(limit).execute()
}

export async function updateParticipant (db: DbOrTx, id: number, changes: Partial<Pick<ParticipantRow, 'phone' | 'email' | 'birth_year' | 'name'>>): Promise<void> {
  if (Object.keys(changes).length === 0) return
  await db.updateTable('participants').set(changes).where('id', '=', id).execute()
}

export interface ParticipantBooking {
  id: number
  classId: number
  status: string
  courseTitle: string
  locationName: string
  firstStartsAt: string | null
  courseSlug: string
  device: Device | null
}

export async function listBookingsOfParticipant (db: DbOrTx, participantId: number): Promise<ParticipantBooking[]> {
  const rows = await db.selectFrom('bookings')
    .innerJoin('classes', 'classes.id', 'bookings.class_id')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .select(eb => [
      'bookings.id', 'bookings.class_id', 'bookings.status', 'bookings.device', 'courses.slug', 'courses.title', 'locations.name as location_name',
      eb.selectFrom('meetings').whereRef('meetings.class_id', '=', 'classes.id').select(e => e.fn.min('meetings.starts_at').as('v')).as('first_starts_at')
    ])
    .where('bookings.participant_id', '=', participantId)
    .orderBy('first_starts_at', 'desc')
    .execute()
  return rows.map(r => ({ id: r.id, classId: r.class_id, status: r.status, courseTitle: r.title, locationName: r.location_name, firstStartsAt: (r.first_starts_at as string | null) ?? null, courseSlug: r.slug, device: r.device }))
}

export async function moveBookingsToParticipant (db: DbOrTx, fromId: number, toId: number): Promise<void> {
  await db.updateTable('bookings').set({ participant_id: toId }).where('participant_id', '=', fromId).execute()
}

export async function deleteParticipant (db: DbOrTx, id: number): Promise<void> {
  await db.deleteFrom('participants').where('id', '=', id).execute()
}

export interface GivenPerson { name: string, phone: string | null, email: string | null, birthYear: number | null }

/**
 * Gives a participant's active bookings on classes not yet over the corrected name,
 * phone, e-mail and birth year, where the booking was made with exactly the record's old
 * name, phone and e-mail. Bookings made with other details keep theirs: they belong to
 * whoever made them (who may not be this person at all).
 */
export async function correctUpcomingBookings (db: DbOrTx, participantId: number, before: GivenPerson, after: GivenPerson, now: string): Promise<number> {
  const same = (column: 'contact_phone' | 'contact_email', value: string | null) =>
    (eb: ExpressionBuilder<Database, 'bookings'>) => value === null ? eb(column, 'is', null) : eb(column, '=', value)
  const result = await db.updateTable('bookings')
    .set({ person_name: after.name, person_birth_year: after.birthYear, contact_phone: after.phone, contact_email: after.email })
    .where('participant_id', '=', participantId)
    .where('status', 'in', ['confirmed', 'waitlisted'])
    .where('person_name', '=', before.name)
    .where(same('contact_phone', before.phone))
    .where(same('contact_email', before.email))
    .where(eb => eb.exists(eb.selectFrom('meetings').select('meetings.id').whereRef('meetings.class_id', '=', 'bookings.class_id').where('meetings.ends_at', '>', now)))
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** The phones and e-mails given in a participant's bookings. */
export async function listBookingContacts (db: DbOrTx, participantId: number): Promise<{ phones: string[], emails: string[] }> {
  const rows = await db.selectFrom('bookings').select(['contact_phone', 'contact_email']).distinct()
    .where('participant_id', '=', participantId).execute()
  const present = (values: Array<string | null>) => [...new Set(values.filter((v): v is string => v !== null))]
  return { phones: present(rows.map(r => r.contact_phone)), emails: present(rows.map(r => r.contact_email)) }
}
