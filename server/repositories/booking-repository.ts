import { newCheckinCode } from '../domain/checkin-code.ts'
import type { DbOrTx } from '../db/connection.ts'
import type { BookingRow, BookingStatus, CancelledBy, FilledBy, NewBooking, NewParticipant, ParticipantRow, WaitlistCallTable } from '../db/schema.ts'
import { type Insertable, type Selectable, sql } from 'kysely'
import { byColumns, byCount, prepare } from '../db/prepared.ts'
import { BOOKING_COLUMNS, qualified } from '../db/columns.ts'

/**
 * A booking with `name`, `birth_year`, `phone` and `email` as given in this booking (not
 * the participant record's, which another booking of the same person may have made).
 */
export type BookingWithPerson = BookingRow & Pick<ParticipantRow, 'name' | 'phone' | 'email' | 'birth_year'>

const participantInsert = byColumns((db, row: NewParticipant) => db.insertInto('participants').values(row).returning('id'))

export async function insertParticipant (db: DbOrTx, participant: NewParticipant): Promise<number> {
  const row = await participantInsert(participant).first(db, { ...participant })
  if (!row) throw new Error('The participant insert returned no id.')
  return row.id
}

/** Inserts a booking with a fresh check-in code that no other booking has. */
/** A booking's columns when nobody booked for the person and no needs are known (walk-ins, old history). */
export const WITHOUT_NEEDS_OR_BOOKER = {
  needs_companion: 0,
  needs_hearing_loop: 0,
  needs_other: null,
  booker_name: null,
  booker_phone: null,
  booker_email: null
} as const

/** A new booking; its contact details are always given (null when there are none). */
export type BookingToInsert = Omit<NewBooking, 'checkin_code'> & { person_name: string, person_birth_year: number | null, contact_phone: string | null, contact_email: string | null }

// A code another booking has leaves the insert undone (no row back), and it is tried
// again with a new one: one statement per booking rather than a look-up and an insert.
const bookingInsert = byColumns((db, row: NewBooking) => db.insertInto('bookings').values(row)
  .onConflict(oc => oc.column('checkin_code').doNothing()).returning(BOOKING_COLUMNS))

export async function insertBooking (db: DbOrTx, booking: BookingToInsert, newCode: () => string = newCheckinCode): Promise<BookingRow> {
  for (;;) {
    const row = { ...booking, checkin_code: newCode() }
    const inserted = await bookingInsert(row).first(db, row)
    if (inserted) return inserted
  }
}

const BOOKING_REFS = qualified('bookings', BOOKING_COLUMNS)

function withPerson (db: DbOrTx) {
  return db.selectFrom('bookings')
    .innerJoin('participants', 'participants.id', 'bookings.participant_id')
    .select(BOOKING_REFS)
    .select([
      sql<string>`coalesce(bookings.person_name, participants.name)`.as('name'),
      'bookings.contact_phone as phone', 'bookings.contact_email as email', 'bookings.person_birth_year as birth_year'
    ])
}

/**
 * A booking just written with its person's name, as findBookingById would read it back
 * (withPerson): one statement less after each insert.
 */
export function withPersonOf (booking: BookingRow): BookingWithPerson {
  if (booking.person_name === null) throw new Error('A new booking has its person\'s name.')
  return { ...booking, name: booking.person_name, phone: booking.contact_phone, email: booking.contact_email, birth_year: booking.person_birth_year }
}

/** Confirmed and waiting bookings of a class, in queue order (oldest first). */
export async function listActiveBookings (db: DbOrTx, classId: number): Promise<BookingWithPerson[]> {
  return await activeOfClass.all(db, { classId })
}

const activeOfClass = prepare((db, v: { classId: number }) => withPerson(db)
  .where('bookings.class_id', '=', v.classId)
  .where('bookings.status', 'in', ['confirmed', 'waitlisted'])
  .orderBy('bookings.id'))

/** The bookings a class's cancellation ended (cancelled by the organiser), in queue order: whom to tell. */
export async function listCancelledByOrganiser (db: DbOrTx, classId: number): Promise<BookingWithPerson[]> {
  return await withPerson(db)
    .where('bookings.class_id', '=', classId)
    .where('bookings.status', '=', 'cancelled')
    .where('bookings.cancelled_by', '=', 'organiser')
    .orderBy('bookings.id')
    .execute()
}

export async function findBookingByToken (db: DbOrTx, token: string): Promise<BookingWithPerson | undefined> {
  return await withPerson(db).where('bookings.token', '=', token).executeTakeFirst()
}

/** The waiting list of a class in order: the first is next in line. */
export async function listWaitlistIds (db: DbOrTx, classId: number): Promise<number[]> {
  const rows = await db.selectFrom('bookings').select('id')
    .where('class_id', '=', classId).where('status', '=', 'waitlisted')
    .orderBy('id').execute()
  return rows.map(r => r.id)
}

export async function countConfirmed (db: DbOrTx, classId: number): Promise<number> {
  const row = await db.selectFrom('bookings').select(eb => eb.fn.countAll().as('n'))
    .where('class_id', '=', classId).where('status', '=', 'confirmed').executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function setBookingStatus (db: DbOrTx, ids: number[], status: BookingStatus, at: string, cancelledBy?: CancelledBy): Promise<void> {
  if (ids.length === 0) return
  const changes = status === 'confirmed'
    ? { status, confirmed_at: at }
    : status === 'cancelled'
      ? { status, cancelled_at: at, cancelled_by: cancelledBy ?? 'participant' }
      : { status }
  await db.updateTable('bookings').set(changes).where('id', 'in', ids).execute()
}

/** Gives seats to bookings from the waiting list, recording how (for the refill figures). */
export async function fillSeats (db: DbOrTx, ids: number[], at: string, filledBy: FilledBy): Promise<void> {
  if (ids.length === 0) return
  await db.updateTable('bookings').set({ status: 'confirmed', confirmed_at: at, filled_by: filledBy }).where('id', 'in', ids).where('status', '=', 'waitlisted').execute()
}

/** Marks every active booking of a class cancelled by the organiser; the rows stay. */
export async function cancelActiveBookings (db: DbOrTx, classId: number, at: string): Promise<number> {
  const result = await db.updateTable('bookings')
    .set({ status: 'cancelled', cancelled_at: at, cancelled_by: 'organiser' })
    .where('class_id', '=', classId).where('status', 'in', ['confirmed', 'waitlisted'])
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export async function countCancelled (db: DbOrTx, classId: number): Promise<number> {
  const row = await db.selectFrom('bookings').select(eb => eb.fn.countAll().as('n'))
    .where('class_id', '=', classId).where('status', '=', 'cancelled').executeTakeFirstOrThrow()
  return Number(row.n)
}

const bookingById = prepare((db, v: { id: number }) => withPerson(db).where('bookings.id', '=', v.id))

export async function findBookingById (db: DbOrTx, id: number): Promise<BookingWithPerson | undefined> {
  return await bookingById.first(db, { id })
}

/** The booking a move made from this one, if staff moved it to another class. */
export async function findMovedTo (db: DbOrTx, bookingId: number): Promise<Pick<BookingRow, 'id' | 'token' | 'status'> | undefined> {
  return await db.selectFrom('bookings').select(['id', 'token', 'status']).where('moved_from_booking_id', '=', bookingId).executeTakeFirst()
}

export async function insertWaitlistCall (db: DbOrTx, call: Insertable<WaitlistCallTable>): Promise<void> {
  await db.insertInto('waitlist_calls').values(call).execute()
}

/** Every call made to the bookings of a class, newest first. */
export async function listWaitlistCalls (db: DbOrTx, classId: number): Promise<Array<Selectable<WaitlistCallTable>>> {
  return await db.selectFrom('waitlist_calls')
    .innerJoin('bookings', 'bookings.id', 'waitlist_calls.booking_id')
    .selectAll('waitlist_calls')
    .where('bookings.class_id', '=', classId)
    .orderBy('waitlist_calls.id', 'desc')
    .execute()
}

export async function setStaffNote (db: DbOrTx, bookingId: number, note: string | null): Promise<boolean> {
  const result = await db.updateTable('bookings').set({ staff_note: note }).where('id', '=', bookingId).executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** Yes (1) or no (0) to texts about a booking. Returns whether the answer changed. */
export async function setSmsConsent (db: DbOrTx, bookingId: number, consent: 0 | 1): Promise<boolean> {
  const result = await db.updateTable('bookings').set({ sms_consent: consent })
    .where('id', '=', bookingId).where('sms_consent', '!=', consent).executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** Marks a booking as a seat given at the door beyond the class's capacity. */
export async function markOverCapacity (db: DbOrTx, id: number): Promise<void> {
  await db.updateTable('bookings').set({ over_capacity: 1 }).where('id', '=', id).execute()
}

/**
 * Marks a booking's link as sent again now, unless it was sent after `since`. True when
 * this call made the mark (a conditional write: two requests at once cannot both win).
 */
export async function claimLinkResend (db: DbOrTx, bookingId: number, at: string, since: string): Promise<boolean> {
  const result = await db.updateTable('bookings').set({ link_resent_at: at })
    .where('id', '=', bookingId)
    .where(eb => eb.or([eb('link_resent_at', 'is', null), eb('link_resent_at', '<=', since)]))
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** What a new booking on a class depends on (readRoomOnClass). */
export interface RoomOnClass {
  /** When the class's first meeting starts; null for a class without meetings. */
  firstStartsAt: string | null
  /** Seats taken. */
  confirmed: number
  /** Places on the waiting list. */
  waitlisted: number
  /** Bookings from one address since a moment: in all, and on this class. */
  fromSource: { total: number, onClass: number }
}

/**
 * What a new booking on a class depends on, in one statement: when the class's first
 * meeting starts, the seats taken and places on the waiting list, and the bookings from
 * one address (its keyed hash) since a moment, in all and on this class (none without
 * an address). Each subquery reads one index, not the bookings. Under the class's lock
 * the counts are final: run this after lockClass, never as part of it (on PostgreSQL a
 * statement sees only what was committed when it began, before it waited for the lock).
 */
export async function readRoomOnClass (db: DbOrTx, classId: number, source: { key: string | null, since: string }): Promise<RoomOnClass> {
  const row = await roomOnClass.first(db, { classId, sourceKey: source.key, since: source.since })
  return {
    firstStartsAt: row?.firstStartsAt ?? null,
    confirmed: Number(row?.confirmed ?? 0),
    waitlisted: Number(row?.waitlisted ?? 0),
    fromSource: { total: Number(row?.total ?? 0), onClass: Number(row?.onClass ?? 0) }
  }
}

const roomOnClass = prepare((db, v: { classId: number, sourceKey: string | null, since: string }) => db.selectNoFrom(eb => {
  const active = (status: BookingStatus) => eb.selectFrom('bookings').select(eb => eb.fn.countAll().as('n'))
    .where('class_id', '=', v.classId).where('status', '=', status)
  // source_key = null matches no row: no address, no count.
  const fromSource = eb.selectFrom('bookings').select(eb => eb.fn.countAll().as('n'))
    .where('source_key', '=', v.sourceKey).where('created_at', '>', v.since)
  return [
    eb.selectFrom('meetings').select(eb => eb.fn.min<string>('starts_at').as('s')).where('class_id', '=', v.classId).as('firstStartsAt'),
    active('confirmed').as('confirmed'),
    active('waitlisted').as('waitlisted'),
    fromSource.as('total'),
    fromSource.where('class_id', '=', v.classId).as('onClass')
  ]
}))

/**
 * The confirmed and waiting bookings of a class that carry one of these phone numbers or
 * e-mail addresses (the person's or a booker's), with their person, in queue order:
 * the only bookings a new one can be a duplicate of.
 */
export async function listActiveBookingsWithContacts (db: DbOrTx, classId: number, contacts: string[]): Promise<BookingWithPerson[]> {
  const wanted = [...new Set(contacts.map(c => c.trim().toLowerCase()))]
  if (wanted.length === 0) return []
  return await withContacts(wanted.length).all(db, { classId, ...Object.fromEntries(wanted.map((c, i) => [`c${i}`, c])) })
}

/** The query of listActiveBookingsWithContacts for so many contacts (one to four from a form). */
const withContacts = byCount(count => prepare((db, v: { classId: number } & Record<string, unknown>) => {
  const wanted = Array.from({ length: count }, (_, i) => v[`c${i}`] as string)
  return withPerson(db)
    .where('bookings.class_id', '=', v.classId)
    .where('bookings.status', 'in', ['confirmed', 'waitlisted'])
    .where(eb => eb.or([
      eb('bookings.contact_phone', 'in', wanted),
      eb(eb.fn('lower', ['bookings.contact_email']), 'in', wanted),
      eb('bookings.booker_phone', 'in', wanted),
      eb(eb.fn('lower', ['bookings.booker_email']), 'in', wanted)
    ]))
    .orderBy('bookings.id')
}))

/**
 * The confirmed and waiting bookings of a class made by one booker (the same phone or
 * e-mail), only those from one address when `sourceKey` is given.
 */
export async function countActiveByBooker (db: DbOrTx, classId: number, booker: { phone: string | null, email: string | null }, sourceKey: string | null): Promise<number> {
  if (booker.phone === null && booker.email === null) return 0
  let query = db.selectFrom('bookings').select(eb => eb.fn.countAll().as('n'))
    .where('class_id', '=', classId).where('status', 'in', ['confirmed', 'waitlisted'])
    .where(eb => eb.or([
      ...(booker.phone !== null ? [eb('booker_phone', '=', booker.phone)] : []),
      ...(booker.email !== null ? [eb(eb.fn('lower', ['booker_email']), '=', booker.email.toLowerCase())] : [])
    ]))
  if (sourceKey !== null) query = query.where('source_key', '=', sourceKey)
  return Number((await query.executeTakeFirstOrThrow()).n)
}

/** A waiting booking's place in its class's queue: 1 for the first in line. */
export async function countWaitlistedUpTo (db: DbOrTx, classId: number, bookingId: number): Promise<number> {
  const row = await db.selectFrom('bookings').select(eb => eb.fn.countAll().as('n'))
    .where('class_id', '=', classId).where('status', '=', 'waitlisted').where('id', '<=', bookingId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Notes that the same person was booked again with other contact details. */
export async function markContactConflict (db: DbOrTx, bookingId: number, at: string): Promise<void> {
  await db.updateTable('bookings').set({ contact_conflict_at: at }).where('id', '=', bookingId).execute()
}
