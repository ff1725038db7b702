import { Migrator } from 'kysely'
import { DateTime } from 'luxon'
import request from 'supertest'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { FolderMigrationProvider, migrateToLatest } from '../../server/db/migrate.ts'
import { bookSeat } from '../../server/services/booking-service.ts'
import { bookingInput, createClass, createLocation, createStaff, staffIdOf } from '../helpers/factories.ts'
import { buildTestApp, createApiTokenViaForm, csrfOf, signedInAgent, type TestApp } from '../helpers/http.ts'
import { recordApiResponses } from '../helpers/openapi-check.ts'
import { CITIZEN } from '../../server/domain/actor.ts'
import { ZONE } from '../../server/domain/time.ts'
import { newDatabase, newEmptyPostgresDatabase, onPostgres, openDatabase } from '../helpers/database.ts'

/** What a token without bookings:read must never see, in any answer. */
const PERSONAL = ['Grethe', 'Hansen', '12345678', 'grethe@example.dk', '1948', 'Kørestol', 'Lone', 'lone@example.dk', 'Ruth']

/** A date some days from today as the form reads it: a Copenhagen date (near midnight UTC is already tomorrow there). */
const dayInCopenhagen = (days: number): string => DateTime.now().setZone(ZONE).plus({ days }).toISODate() as string

describe('API tokens: scopes, expiry and an owner', () => {
  let t: TestApp
  let admin: Awaited<ReturnType<typeof signedInAgent>>
  let classId: number
  let locationId: number
  let apiAnswers: ReturnType<typeof recordApiResponses>
  const api = () => request(t.app.server)
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
  const pathOf = (url: string) => url.replace(/:id/g, String(classId))

  beforeAll(async () => {
    t = await buildTestApp()
    apiAnswers = recordApiResponses(t.app)
    admin = await signedInAgent(t.app, await createStaff(t.db, 'admin', 'anne@bib.dk'))
    locationId = await createLocation(t.db)
    classId = await createClass(t.db, { capacity: 1, locationId })
    await createClass(t.db, { isPublic: false, locationId })
    await bookSeat(t.db, CITIZEN, classId, bookingInput({ name: 'Grethe Hansen', phone: '+4512345678', email: 'grethe@example.dk', birthYear: 1948, needsOther: 'Kørestol ved indgangen', booker: { name: 'Lone Holm', phone: null, email: 'lone@example.dk' } }), { source: 'online' })
    await bookSeat(t.db, CITIZEN, classId, bookingInput({ name: 'Ruth Iversen', phone: '+4587654321' }), { source: 'online' })
  })
  afterAll(async () => { await t.app.close() })
  afterEach(() => { vi.useRealTimers() })

  it('a classes:read token reads classes but no personal data anywhere, and gets 403 with a code on bookings and writes', async () => {
    const token = await createApiTokenViaForm(admin, { name: 'Kun hold', scopes: ['classes:read'] })
    const gets = t.app.routeTable.filter(r => r.method === 'GET' && r.url.startsWith('/api/v1/'))
    expect(gets.length).toBeGreaterThanOrEqual(3)
    for (const route of gets) {
      const res = await api().get(pathOf(route.url)).set(bearer(token))
      for (const word of PERSONAL) expect(res.text, `GET ${route.url}`).not.toContain(word)
    }
    expect((await api().get(`/api/v1/classes/${classId}`).set(bearer(token))).status).toBe(200)
    expect((await api().get('/api/v1/classes').set(bearer(token))).body.classes.some((c: { public: boolean }) => !c.public)).toBe(true)

    const list = await api().get(`/api/v1/classes/${classId}/bookings`).set(bearer(token))
    expect(list.status).toBe(403)
    expect(list.body.error).toMatchObject({ status: 403, code: 'missing_scope', scope: 'bookings:read' })
    expect(list.body.error.message).toMatch(/nøgle/)
    const writes = [
      [await api().post(`/api/v1/classes/${classId}/bookings`).set(bearer(token)).send({ name: 'Bent Olsen', phone: '11111111' }), 'bookings:write'],
      [await api().post('/api/v1/classes').set(bearer(token)).send({}), 'classes:write'],
      [await api().patch(`/api/v1/classes/${classId}`).set(bearer(token)).send({ capacity: 'mange' }), 'classes:write'],
      [await api().post(`/api/v1/classes/${classId}/cancel`).set(bearer(token)), 'classes:write']
    ] as const
    for (const [res, scope] of writes) {
      expect(res.status).toBe(403)
      expect(res.body.error).toMatchObject({ code: 'missing_scope', scope })
    }
    const cls = await t.db.selectFrom('classes').select(['cancelled_at', 'capacity']).where('id', '=', classId).executeTakeFirstOrThrow()
    expect(cls).toEqual({ cancelled_at: null, capacity: 1 })
    expect(await t.db.selectFrom('bookings').select('id').where('class_id', '=', classId).execute()).toHaveLength(2)

    // The same list with bookings:read does show the people: the check above can fail.
    const reader = await createApiTokenViaForm(admin, { name: 'Deltagerliste', scopes: ['bookings:read'] })
    const people = await api().get(`/api/v1/classes/${classId}/bookings`).set(bearer(reader)).expect(200)
    expect(people.text).toContain('Grethe Hansen')
    expect((await api().get(`/api/v1/classes/${classId}`).set(bearer(reader))).body.error).toMatchObject({ code: 'missing_scope', scope: 'classes:read' })
  })

  it('the token form requires at least one scope and an expiry in the future, at most 24 months ahead', async () => {
    const page = await admin.get('/personale/api-noegler').expect(200)
    expect(page.text).toContain('name="scope_bookings_read"')
    const defaultExpiry = /name="expires_on" type="date" value="(\d{4}-\d{2}-\d{2})"/.exec(page.text)?.[1]
    expect(defaultExpiry).toBeDefined()
    const inAYear = dayInCopenhagen(365)
    expect(Math.abs(Date.parse(defaultExpiry ?? '') - Date.parse(inAYear))).toBeLessThanOrEqual(2 * 86400_000)
    const post = async (fields: Record<string, string>) => await admin.post('/personale/api-noegler').type('form').send({ _csrf: csrfOf(page.text), name: 'Forkert', ...fields })
    const before = (await t.db.selectFrom('api_tokens').select('id').execute()).length
    const noScope = await post({ expires_on: inAYear })
    expect(noScope.status).toBe(400)
    expect(noScope.text).toContain('Vælg mindst én rettighed')
    expect((await post({ scope_classes_read: '1', expires_on: '2020-01-01' })).status).toBe(400)
    expect((await post({ scope_classes_read: '1', expires_on: dayInCopenhagen(800) })).status).toBe(400)
    expect((await post({ scope_classes_read: '1', expires_on: '' })).status).toBe(400)
    expect((await t.db.selectFrom('api_tokens').select('id').execute()).length).toBe(before)
  })

  it('an expired token gets 401, and the list says it has expired', async () => {
    const tomorrow = dayInCopenhagen(1)
    const token = await createApiTokenViaForm(admin, { name: 'Kortlivet', scopes: ['classes:read'], expiresOn: tomorrow })
    await api().get(`/api/v1/classes/${classId}`).set(bearer(token)).expect(200)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 3 * 86400_000)
    const res = await api().get(`/api/v1/classes/${classId}`).set(bearer(token))
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe('token_expired')
    vi.useRealTimers()
    const row = await t.db.selectFrom('api_tokens').select('expires_at').where('name', '=', 'Kortlivet').executeTakeFirstOrThrow()
    expect(row.expires_at > new Date().toISOString()).toBe(true)
  })

  it('a token whose creator was deactivated gets 401, and the list says why', async () => {
    const other = await createStaff(t.db, 'admin', 'bo@bib.dk')
    const bo = await signedInAgent(t.app, other)
    const token = await createApiTokenViaForm(bo, { name: 'Bos nøgle', scopes: ['classes:read', 'bookings:read'] })
    await api().get(`/api/v1/classes/${classId}/bookings`).set(bearer(token)).expect(200)
    const users = await admin.get('/personale/brugere')
    await admin.post(`/personale/brugere/${await staffIdOf(t.db, 'bo@bib.dk')}/aktiv`).type('form').send({ _csrf: csrfOf(users.text), active: '0' }).expect(303)
    const res = await api().get(`/api/v1/classes/${classId}/bookings`).set(bearer(token))
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe('token_owner_inactive')
    const row = /<tr>(?:(?!<\/tr>)[\s\S])*Bos nøgle[\s\S]*?<\/tr>/.exec((await admin.get('/personale/api-noegler')).text)?.[0] ?? ''
    expect(row).toContain('Virker ikke: oprettet af en deaktiveret bruger')
  })

  it('any protected endpoint answers 401 without a valid token, before it reads the body', async () => {
    const protectedRoutes = t.app.routeTable.filter(r => r.url.startsWith('/api/v1/') && r.method !== 'HEAD' && r.config?.scope !== 'public')
    expect(protectedRoutes.length).toBeGreaterThanOrEqual(6)
    for (const route of protectedRoutes) {
      const method = route.method.toLowerCase() as 'get' | 'post' | 'patch'
      const empty = await api()[method](pathOf(route.url)).set('content-type', 'application/json').send('')
      expect(empty.status, `${route.method} ${route.url}`).toBe(401)
      expect(empty.body.error.code).toBe('unauthorized')
      const broken = await api()[method](route.url.replace(/:id/g, 'x')).set(bearer('dk_notarealtokennotarealtoken')).send({ capacity: 'ti' })
      expect(broken.status, `${route.method} ${route.url}`).toBe(401)
    }
    // Scope before validation too: a token without the scope never learns what the body should be.
    const reader = await createApiTokenViaForm(admin, { name: 'Læser', scopes: ['classes:read'] })
    expect((await api().post('/api/v1/classes').set(bearer(reader)).send({ capacity: 'ti' })).status).toBe(403)
  })

  it('every API route declares its scope (or that it is public) on the route', async () => {
    const undeclared = t.app.routeTable.filter(r => r.url.startsWith('/api/v1') && !['public', 'classes:read', 'classes:write', 'bookings:read', 'bookings:write'].includes(String(r.config?.scope)))
    expect(undeclared.map(r => `${r.method} ${r.url}`)).toEqual([])
    expect(t.app.routeTable.filter(r => r.url.startsWith('/api/v1') && r.config?.scope === 'public').map(r => `${r.method} ${r.url}`)).toEqual(['OPTIONS /api/v1/classes', 'GET /api/v1/classes', 'HEAD /api/v1/classes'])
  })

  it('validation errors are Danish, with a stable code and the field', async () => {
    const writer = await createApiTokenViaForm(admin, { name: 'Skriver', scopes: ['classes:write'] })
    const bad = await api().post('/api/v1/classes').set(bearer(writer)).send({ courseSlug: 'mitid-kom-godt-i-gang', locationId, capacity: 'ti', meetings: [{ start: '2030-03-05T10:00:00+01:00', end: '2030-03-05T12:00:00+01:00' }] })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toMatchObject({ status: 400, code: 'invalid_body', field: 'capacity' })
    expect(bad.body.error.message).toContain('capacity')
    expect(bad.body.error.message).toMatch(/skal være et helt tal/)
    const short = await api().post('/api/v1/classes').set(bearer(writer)).send({ courseSlug: '', locationId, capacity: 2, meetings: [{ start: '2030-03-05T10:00:00+01:00', end: '2030-03-05T12:00:00+01:00' }] })
    expect(short.body.error).toMatchObject({ code: 'invalid_body', field: 'courseSlug' })
    expect(short.body.error.message).toMatch(/må ikke være tomt/)
    const missing = await api().post('/api/v1/classes').set(bearer(writer)).send({ locationId, capacity: 2, meetings: [] })
    expect(missing.body.error).toMatchObject({ code: 'invalid_body', field: 'courseSlug' })
    expect(missing.body.error.message).toMatch(/mangler/)
    const nested = await api().patch(`/api/v1/classes/${classId}`).set(bearer(writer)).send({ meetings: [{ start: 'i morgen', end: '2030-03-05T12:00:00+01:00' }] })
    expect(nested.body.error).toMatchObject({ code: 'invalid_body', field: 'meetings[0].start' })
    const badId = await api().patch('/api/v1/classes/abc').set(bearer(writer)).send({ capacity: 2 })
    expect(badId.body.error).toMatchObject({ status: 400, code: 'invalid_params', field: 'id' })
    for (const res of [bad, short, missing, nested, badId]) expect(res.text).not.toMatch(/must (be|have|NOT|match)/)
  })

  it('shows when a token was last used, written at most once a minute', async () => {
    const token = await createApiTokenViaForm(admin, { name: 'Hjemmesiden', scopes: ['classes:read'] })
    const rowOf = (html: string) => /<tr>(?:(?!<\/tr>)[\s\S])*Hjemmesiden[\s\S]*?<\/tr>/.exec(html)?.[0] ?? ''
    expect(rowOf((await admin.get('/personale/api-noegler')).text)).toContain('Aldrig')
    const lastUsed = async () => (await t.db.selectFrom('api_tokens').select('last_used_at').where('name', '=', 'Hjemmesiden').executeTakeFirstOrThrow()).last_used_at
    vi.useFakeTimers({ toFake: ['Date'] })
    const start = Date.now()
    await api().get(`/api/v1/classes/${classId}`).set(bearer(token)).expect(200)
    const first = await lastUsed()
    expect(first).toBe(new Date(start).toISOString())
    vi.setSystemTime(start + 30_000)
    await api().get(`/api/v1/classes/${classId}`).set(bearer(token)).expect(200)
    expect(await lastUsed()).toBe(first)
    vi.setSystemTime(start + 61_000)
    await api().get(`/api/v1/classes/${classId}`).set(bearer(token)).expect(200)
    expect(await lastUsed()).toBe(new Date(start + 61_000).toISOString())
    vi.useRealTimers()
    const row = rowOf((await admin.get('/personale/api-noegler')).text)
    expect(row).not.toContain('Aldrig')
    expect(row).toMatch(/kl\. \d{2}\.\d{2}/)
    expect(row).toContain('Læse hold')
  })

  it('the OpenAPI document describes the scopes, per operation, with 401 and 403', async () => {
    const docs = JSON.parse((await api().get('/api/docs').expect(200)).text)
    const scheme = docs.components.securitySchemes.bearerAuth
    for (const scope of ['classes:read', 'classes:write', 'bookings:read', 'bookings:write']) expect(scheme.description).toContain(scope)
    const expected: Record<string, string> = {
      'post /api/v1/classes': 'classes:write',
      'get /api/v1/classes/{id}': 'classes:read',
      'patch /api/v1/classes/{id}': 'classes:write',
      'post /api/v1/classes/{id}/cancel': 'classes:write',
      'get /api/v1/classes/{id}/bookings': 'bookings:read',
      'post /api/v1/classes/{id}/bookings': 'bookings:write'
    }
    for (const [key, scope] of Object.entries(expected)) {
      const [method, path] = key.split(' ') as [string, string]
      const op = docs.paths[path][method]
      expect(op['x-required-scope'], key).toBe(scope)
      expect(op.description, key).toContain(scope)
      expect(op.security).toEqual([{ bearerAuth: [] }])
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403']))
    }
    expect(docs.paths['/api/v1/classes'].get['x-required-scope']).toBeUndefined()
  })

  it('every API answer these tests got is documented, with a body that fits its schema', async () => {
    await apiAnswers.check()
  })
})

describe('API tokens made before scopes existed', () => {
  it('get all four scopes and an expiry 12 months after the migration', async () => {
    const location = onPostgres ? await newEmptyPostgresDatabase() : await newDatabase()
    const db = openDatabase(location)
    try {
      const migrations = Object.keys(await new FolderMigrationProvider().getMigrations()).sort()
      const ours = migrations.findIndex(m => m.endsWith('_api_token_scopes'))
      expect(ours).toBeGreaterThan(0)
      const migrator = new Migrator({ db, provider: new FolderMigrationProvider() })
      const before = await migrator.migrateTo(migrations[ours - 1] as string)
      expect(before.error).toBeUndefined()
      const now = new Date().toISOString()
      const { id: staffId } = await db.insertInto('staff_users').values({ email: 'a@bib.dk', name: 'A', role: 'admin', password_hash: null, active: 1, created_at: now } as never).returning('id').executeTakeFirstOrThrow()
      await db.insertInto('api_tokens').values({ name: 'Gammel', token_hash: 'a'.repeat(64), created_by: staffId, created_at: now } as never).execute()
      await migrateToLatest(db)
      const row = await db.selectFrom('api_tokens').selectAll().executeTakeFirstOrThrow()
      expect(row.scopes.split(' ').sort()).toEqual(['bookings:read', 'bookings:write', 'classes:read', 'classes:write'])
      const months = (Date.parse(row.expires_at) - Date.now()) / (30.44 * 86400_000)
      expect(months).toBeGreaterThan(11.5)
      expect(months).toBeLessThan(12.5)
    } finally {
      await db.destroy()
    }
  })
})
