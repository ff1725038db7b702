import type { FastifyInstance } from 'fastify'
import request from 'supertest'
import { buildApp } from '../../server/app.ts'
import { type Config, loadConfig } from '../../server/config.ts'
import type { Db } from '../../server/db/connection.ts'
import { closeWhenTestEnds } from './cleanup.ts'
import { coursesDir, createTestDb, onPostgres } from './database.ts'
import { recordHtml } from './html-validation.ts'

/**
 * The real app built with a test config, and what a browser does with it: open a form,
 * post it with its CSRF token, sign in. Data to work on comes from factories.ts.
 */

export function testConfig (overrides: Partial<Config> = {}): Config {
  // The test database is PostgreSQL under npm run test:pg, though no DATABASE_URL is set:
  // share state there as a PostgreSQL server does.
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
  }, { sharedState: onPostgres, ...overrides })
}

export interface TestApp { app: FastifyInstance, db: Db, config: Config }

/**
 * The app on a fresh database (or the one given, which it closes with itself). Built in a
 * test, it closes when the test ends; built in a beforeAll, the afterAll closes it.
 */
export async function buildTestApp (overrides: Partial<Config> = {}, db?: Db): Promise<TestApp> {
  const config = testConfig(overrides)
  const database = db ?? await createTestDb()
  const app = await buildApp({ config, db: database, closeDb: true, logger: false, onSend: recordHtml })
  closeWhenTestEnds(async () => { await app.close() })
  await app.ready()
  return { app, db: database, config }
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
