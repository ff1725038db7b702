import { DateTime } from 'luxon'
import type { Db } from '../../server/db/connection.ts'
import { type Actor, SYSTEM } from '../../server/domain/actor.ts'
import type { BookingInput } from '../../server/domain/booking-form.ts'
import { ZONE, toStoredIso } from '../../server/domain/time.ts'
import { insertClass } from '../../server/repositories/class-repository.ts'
import { insertLocation } from '../../server/repositories/location-repository.ts'
import { type NewBookingOutcome, bookSeat } from '../../server/services/booking-service.ts'
import { createStaffUser } from '../../server/services/staff-service.ts'
import type { StaffRole } from '../../server/db/schema.ts'

/**
 * Small data factories: places, classes, staff users and bookings straight in a test's
 * database, for tests that need them to exist rather than to be made through the pages.
 */

let locationCounter = 0
export async function createLocation (db: Db, fields: Partial<Parameters<typeof insertLocation>[1]> = {}): Promise<number> {
  locationCounter++
  return await insertLocation(db, {
    name: `Testbiblioteket ${locationCounter}`,
    kind: 'library',
    street: 'Bibliotekstorvet 1',
    postal_code: '8700',
    city: 'Horsens',
    room: 'Mødelokale 1',
    step_free: 1,
    hearing_loop: 1,
    access_note: null,
    created_at: new Date().toISOString(),
    ...fields
  })
}

export interface ClassOptions {
  course?: string
  locationId?: number
  capacity?: number
  isPublic?: boolean
  cancelled?: boolean
  /** Local Copenhagen start times, e.g. ['2030-03-05T10:00']; default: one meeting in 7 days. */
  meetings?: string[]
  minutes?: number
}

export async function createClass (db: Db, opts: ClassOptions = {}): Promise<number> {
  const locationId = opts.locationId ?? await createLocation(db)
  const starts = opts.meetings ?? [DateTime.now().setZone(ZONE).plus({ days: 7 }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 }).toISO({ includeOffset: false }) as string]
  const now = new Date().toISOString()
  return await insertClass(db, {
    course_slug: opts.course ?? 'mitid-kom-godt-i-gang',
    location_id: locationId,
    capacity: opts.capacity ?? 10,
    is_public: opts.isPublic === false ? 0 : 1,
    note: null,
    cancelled_at: opts.cancelled ? now : null,
    created_at: now,
    updated_at: now
  }, starts.map(s => {
    const start = DateTime.fromISO(s, { zone: ZONE })
    return { startsAt: toStoredIso(start), endsAt: toStoredIso(start.plus({ minutes: opts.minutes ?? 120 })) }
  }))
}

export async function countBookings (db: Db, classId: number): Promise<number> {
  const row = await db.selectFrom('bookings').select(eb => eb.fn.countAll().as('n')).where('class_id', '=', classId).executeTakeFirstOrThrow()
  return Number(row.n)
}

/** A staff user straight in the database (argon2-hashed), for route tests. */
export async function createStaff (db: Db, role: 'admin' | 'leader' | 'volunteer', email = `${role}-${Math.random().toString(36).slice(2)}@bib.dk`, password = 'en lang og sikker adgangskode'): Promise<{ email: string, password: string }> {
  await createStaffUser(db, SYSTEM, { email, name: `Test ${role}`, role, password })
  return { email, password }
}

/** What the booking form yields, for booking through the service directly. */
export function bookingInput (fields: Partial<BookingInput> & { name: string }): BookingInput {
  return { phone: null, email: null, birthYear: null, needsCompanion: false, needsHearingLoop: false, needsOther: null, booker: null, smsConsent: false, ...fields }
}

/** bookSeat for someone not yet on the class: the test fails when it was taken as a duplicate. */
export async function bookNew (...args: Parameters<typeof bookSeat>): Promise<NewBookingOutcome> {
  const outcome = await bookSeat(...args)
  if (!outcome.created) throw new Error('Expected a new booking, but the person was already on the class')
  return outcome
}

/**
 * A class meeting today, Copenhagen time (an hour from now, or now late in the evening)
 * and again a week later; returns it and its first meeting's id. Book onto it with
 * bookSeat(..., earlier) since it may already have begun.
 */
export async function createClassToday (db: Db, opts: Omit<ClassOptions, 'meetings'> = {}): Promise<{ classId: number, meetingId: number }> {
  const now = DateTime.now().setZone(ZONE)
  const start = now.hour >= 22 ? now.startOf('minute') : now.plus({ hours: 1 }).startOf('minute')
  const classId = await createClass(db, { ...opts, meetings: [start.toISO({ includeOffset: false }) as string, start.plus({ days: 7 }).toISO({ includeOffset: false }) as string] })
  const meeting = await db.selectFrom('meetings').select('id').where('class_id', '=', classId).orderBy('starts_at').executeTakeFirstOrThrow()
  return { classId, meetingId: meeting.id }
}

/** The id of a staff user by e-mail. */
export async function staffIdOf (db: Db, email: string): Promise<number> {
  return (await db.selectFrom('staff_users').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id
}

/** `n` people who came before, counted overall, so that the next new participant is number n + 1. */
export async function seedEarlierParticipants (db: Db, n: number): Promise<void> {
  const at = '2025-01-01T10:00:00.000Z'
  await db.transaction().execute(async tx => {
    for (let i = 0; i < n; i += 500) {
      const rows = Array.from({ length: Math.min(500, n - i) }, (_, j) => ({ name: `Tidligere ${i + j}`, phone: null, email: null, birth_year: null, created_at: at }))
      const ids = await tx.insertInto('participants').values(rows).returning('id').execute()
      await tx.insertInto('participant_firsts').values(ids.map(r => ({ scope: 'all', participant_id: r.id, attendance_id: 0, at }))).execute()
    }
  })
}

/** A staff member acting, for calling a service directly as the route would with `request.actor`. */
export function asStaff (staffId: number, role: StaffRole = 'admin'): Actor {
  return { kind: 'staff', staffId, role, name: 'Testmedarbejder' }
}

/**
 * The person who booked said yes to texts (bookings.sms_consent), for a booking made with
 * bookSeat: its later messages go as texts too, to its mobile numbers. Returns its id.
 */
export async function giveSmsConsent (db: Db, token: string): Promise<number> {
  const row = await db.updateTable('bookings').set({ sms_consent: 1 }).where('token', '=', token).returning('id').executeTakeFirstOrThrow()
  return row.id
}
