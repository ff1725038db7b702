import { resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { DateTime } from 'luxon'
import request from 'supertest'
import { buildApp } from '../../server/app.ts'
import { type Config, loadConfig } from '../../server/config.ts'
import type { Db } from '../../server/db/connection.ts'
import type { BookingInput } from '../../server/domain/booking-form.ts'
import { migrateToLatest } from '../../server/db/migrate.ts'
import { ZONE, toStoredIso } from '../../server/domain/time.ts'
import { insertClass } from '../../server/repositories/class-repository.ts'
import { insertLocation } from '../../server/repositories/location-repository.ts'
import { type NewBookingOutcome, bookSeat } from '../../server/services/booking-service.ts'
import { syncCatalogue } from '../../server/services/catalogue-service.ts'
import { createStaffUser } from '../../server/services/staff-service.ts'
import { recordHtml } from './html-validation.ts'
import { isPostgresUrl, newDatabase, openDatabase } from './database.ts'

export const coursesDir = resolve(import.meta.dirname, '../../courses')

export function testConfig (overrides: Partial<Config> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_FILE: ':memory:',
    COURSES_DIR: coursesDir,
    PUBLIC_URL: 'http://kurser.test',
    BOOKING_RATE_LIMIT: '10000',
    BOOKING_LIMIT_PER_CLASS: '10000',
    BOOKING_LIMIT_PER_BOOKER: '10000',
    LOG_LEVEL: 'silent',
    ORGANISATION_NAME: 'Testbibliotekets kurser'
  }, overrides)
}

/**
 * A freshly migrated database with the real course catalogue: SQLite (in memory, or the
 * file given), or a new PostgreSQL database when the suite runs on PostgreSQL. A location
 * from newDatabase() is opened as it is.
 */
export async function createTestDb (fileOrLocation = ':memory:'): Promise<Db> {
  const location = isPostgresUrl(fileOrLocation) ? fileOrLocation : await newDatabase(fileOrLocation)
  const db = openDatabase(location)
  if (!isPostgresUrl(location)) {
    await migrateToLatest(db)
    await syncCatalogue(db, coursesDir)
  }
  return db
}

export interface TestApp { app: FastifyInstance, db: Db, config: Config }

export async function buildTestApp (overrides: Partial<Config> = {}, db?: Db): Promise<TestApp> {
  const config = testConfig(overrides)
  const database = db ?? await createTestDb()
  const app = await buildApp({ config, db: database, closeDb: true, logger: false, onSend: recordHtml })
  await app.ready()
  return { app, db: database, config }
}

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

/** Opens a class page like a browser: returns its session cookie and the form's CSRF token. */
export async function openBookingForm (app: FastifyInstance, classId: number): Promise<{ cookie: string, csrf: string }> {
  const res = await request(app.server).get(`/hold/${classId}`).expect(200)
  const csrf = /name="_csrf" value="([^"]+)"/.exec(res.text)?.[1]
  const cookie = (res.headers['set-cookie'] as unknown as string[] | undefined)?.map(c => c.split(';')[0]).join('; ')
  if (!csrf || !cookie) throw new Error('class page has no booking form')
  return { cookie, csrf }
}

export const validBooking = (fields: Record<string, string> = {}): Record<string, string> => ({
  name: 'Grethe Hansen',
  phone: '12 34 56 78',
  email: '',
  birth_year: '1948',
  ...fields
})

/** Submits the booking form as a browser would; returns the supertest response. */
export async function submitBooking (app: FastifyInstance, classId: number, fields: Record<string, string> = {}) {
  const { cookie, csrf } = await openBookingForm(app, classId)
  return await request(app.server)
    .post(`/hold/${classId}/tilmeld`)
    .set('cookie', cookie)
    .type('form')
    .send({ _csrf: csrf, ...validBooking(fields) })
}

export function tokenFrom (location: string | undefined): string {
  const token = /\/tilmelding\/([^/?#]+)/.exec(location ?? '')?.[1]
  if (!token) throw new Error(`no booking token in ${location}`)
  return token
}

export async function countBookings (db: Db, classId: number): Promise<number> {
  const row = await db.selectFrom('bookings').select(eb => eb.fn.countAll().as('n')).where('class_id', '=', classId).executeTakeFirstOrThrow()
  return Number(row.n)
}

/** A staff user straight in the database (argon2-hashed), for route tests. */
export async function createStaff (db: Db, role: 'admin' | 'leader' | 'volunteer', email = `${role}-${Math.random().toString(36).slice(2)}@bib.dk`, password = 'en lang og sikker adgangskode'): Promise<{ email: string, password: string }> {
  await createStaffUser(db, { email, name: `Test ${role}`, role, password }, null)
  return { email, password }
}

/** A supertest agent (keeps cookies) signed in as the given staff user. */
export async function signedInAgent (app: FastifyInstance, credentials: { email: string, password: string }) {
  const agent = request.agent(app.server)
  const page = await agent.get('/personale/log-ind')
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
  const res = await agent.post('/personale/log-ind').type('form').send({ _csrf: csrf, ...credentials })
  if (res.status !== 303) throw new Error(`sign-in failed with ${res.status}`)
  return agent
}

/** Signs in without an agent; returns the session cookie as a browser would then send it (and a thief copy it). */
export async function signedInCookie (app: FastifyInstance, credentials: { email: string, password: string }): Promise<string> {
  const page = await request(app.server).get('/personale/log-ind')
  const cookie = cookieOf(page.headers['set-cookie'])
  const res = await request(app.server).post('/personale/log-ind').set('cookie', cookie).type('form').send({ _csrf: csrfOf(page.text), ...credentials })
  if (res.status !== 303) throw new Error(`sign-in failed with ${res.status}`)
  // The first staff page gives the session its CSRF secret, as it would in a browser.
  const first = await request(app.server).get('/personale').set('cookie', cookieOf(res.headers['set-cookie']))
  return cookieOf(first.headers['set-cookie'] ?? res.headers['set-cookie'])
}

/** The Cookie header a browser would send back for these Set-Cookie headers. */
export const cookieOf = (setCookie: unknown): string => ((setCookie ?? []) as string[]).map(c => c.split(';')[0]).join('; ')

/** The CSRF token in a rendered form. */
export const csrfOf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''

/**
 * Makes an API token on the admin page as an admin would (scopes ticked, expiry a
 * yyyy-mm-dd date or the form's default); returns the token shown once.
 */
export async function createApiTokenViaForm (admin: ReturnType<typeof request.agent>, opts: { name: string, scopes: string[], expiresOn?: string }): Promise<string> {
  const page = await admin.get('/personale/api-noegler')
  const expiresOn = opts.expiresOn ?? /name="expires_on" type="date" value="([^"]*)"/.exec(page.text)?.[1] ?? ''
  const scopes = Object.fromEntries(opts.scopes.map(s => [`scope_${s.replace(':', '_')}`, '1']))
  const made = await admin.post('/personale/api-noegler').type('form').send({ _csrf: csrfOf(page.text), name: opts.name, expires_on: expiresOn, ...scopes })
  const token = /(dk_[A-Za-z0-9_-]{20,})/.exec(made.text)?.[1]
  if (made.status !== 201 || !token) throw new Error(`making an API token failed with ${made.status}`)
  return token
}

/** What the booking form yields, for booking through the service directly. */
/** bookSeat for someone not yet on the class: the test fails when it was taken as a duplicate. */
export async function bookNew (...args: Parameters<typeof bookSeat>): Promise<NewBookingOutcome> {
  const outcome = await bookSeat(...args)
  if (!outcome.created) throw new Error('Expected a new booking, but the person was already on the class')
  return outcome
}

export function bookingInput (fields: Partial<BookingInput> & { name: string }): BookingInput {
  return { phone: null, email: null, birthYear: null, needsCompanion: false, needsHearingLoop: false, needsOther: null, booker: null, ...fields }
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
