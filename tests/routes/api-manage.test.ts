import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLocation, createStaff } from '../helpers/factories.ts'
import { buildTestApp, createApiTokenViaForm, csrfOf, signedInAgent, type TestApp } from '../helpers/http.ts'
import { insertPartner } from '../../server/repositories/partner-repository.ts'
import { recordApiResponses } from '../helpers/openapi-check.ts'

describe('the token-protected API', () => {
  let t: TestApp
  let token: string
  let admin: Awaited<ReturnType<typeof signedInAgent>>
  let library: number
  let apiAnswers: ReturnType<typeof recordApiResponses>

  beforeAll(async () => {
    t = await buildTestApp()
    apiAnswers = recordApiResponses(t.app)
    library = await createLocation(t.db, { name: 'Hovedbiblioteket' })
    admin = await signedInAgent(t.app, await createStaff(t.db, 'admin'))
    token = await createApiTokenViaForm(admin, { name: 'Bibliotekets hjemmeside', scopes: ['classes:read', 'classes:write', 'bookings:read', 'bookings:write'] })
    const stored = await t.db.selectFrom('api_tokens').selectAll().executeTakeFirstOrThrow()
    expect(stored.token_hash).not.toContain(token)
    expect((await admin.get('/personale/api-noegler')).text).not.toContain(token)
  })
  afterAll(async () => { await t.app.close() })

  const api = () => request(t.app.server)
  const classBody = () => ({
    courseSlug: 'mitid-kom-godt-i-gang',
    locationId: library,
    capacity: 1,
    meetings: [{ start: '2030-03-05T10:00:00+01:00', end: '2030-03-05T12:00:00+01:00' }, { start: '2030-04-02T10:00:00+02:00', end: '2030-04-02T12:00:00+02:00' }]
  })

  it('refuses requests without a valid token, as JSON with a code', async () => {
    const none = await api().post('/api/v1/classes').send(classBody())
    expect(none.status).toBe(401)
    expect(none.body.error.code).toBe('unauthorized')
    expect(none.headers['www-authenticate']).toBe('Bearer')
    expect((await api().post('/api/v1/classes').set('authorization', 'Bearer dk_notarealtokennotarealtoken').send(classBody())).status).toBe(401)
  })

  it('gives 400 with a machine code for a body that does not fit the schema, and 422 for unknown references', async () => {
    const bad = await api().post('/api/v1/classes').set('authorization', `Bearer ${token}`).send({ ...classBody(), capacity: 'ti' })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toMatchObject({ code: 'invalid_body', field: 'capacity' })
    const extra = await api().post('/api/v1/classes').set('authorization', `Bearer ${token}`).send({ ...classBody(), extra: 1 })
    expect(extra.status).toBe(400)
    expect(extra.body.error).toMatchObject({ code: 'invalid_body', field: 'extra' })
    const unknown = await api().post('/api/v1/classes').set('authorization', `Bearer ${token}`).send({ ...classBody(), courseSlug: 'findes-ikke' })
    expect(unknown.status).toBe(422)
    expect(unknown.body.error.code).toBe('invalid_class')
    const backwards = await api().post('/api/v1/classes').set('authorization', `Bearer ${token}`).send({ ...classBody(), meetings: [{ start: '2030-03-05T12:00:00+01:00', end: '2030-03-05T10:00:00+01:00' }] })
    expect(backwards.status).toBe(422)
  })

  it('refuses what the staff form refuses, with 422 invalid_class naming the field', async () => {
    const post = (body: object) => api().post('/api/v1/classes').set('authorization', `Bearer ${token}`).send(body)
    const unknown = await post({ ...classBody(), courseSlug: 'findes-ikke' })
    expect(unknown.body.error).toMatchObject({ status: 422, code: 'invalid_class', field: 'courseSlug' })
    const backwards = await post({ ...classBody(), meetings: [classBody().meetings[0], { start: '2030-04-02T12:00:00+02:00', end: '2030-04-02T10:00:00+02:00' }] })
    expect(backwards.body.error).toMatchObject({ status: 422, code: 'invalid_class', field: 'meetings[1]' })
    const overlapping = await post({ ...classBody(), meetings: [{ start: '2030-03-05T10:00:00+01:00', end: '2030-03-05T12:00:00+01:00' }, { start: '2030-03-05T11:00:00+01:00', end: '2030-03-05T13:00:00+01:00' }] })
    expect(overlapping.status).toBe(422)
    expect(overlapping.body.error).toMatchObject({ code: 'invalid_class', field: 'meetings' })

    const now = new Date().toISOString()
    const archived = await insertPartner(t.db, { name: 'Lukket klub', contact: null, note: null, archived_at: now, created_at: now })
    const withArchived = await post({ ...classBody(), partnerId: archived })
    expect(withArchived.status).toBe(422)
    expect(withArchived.body.error).toMatchObject({ code: 'invalid_class', field: 'partnerId' })
    const closedPlace = await createLocation(t.db, { name: 'Lukket filial', archived_at: now })
    expect((await post({ ...classBody(), locationId: closedPlace })).body.error).toMatchObject({ status: 422, code: 'invalid_class', field: 'locationId' })

    // A class keeps a partner archived after it was planned; it cannot be given another archived one.
    const active = await insertPartner(t.db, { name: 'Åben klub', contact: null, note: null, archived_at: null, created_at: now })
    const branch = await createLocation(t.db, { name: 'Filialen', street: 'Søndergade 2' })
    const created = await post({ ...classBody(), locationId: branch, partnerId: active }).expect(201)
    const id = created.body.id as number
    await t.db.updateTable('partners').set({ archived_at: now }).where('id', '=', active).execute()
    const patch = (body: object) => api().patch(`/api/v1/classes/${id}`).set('authorization', `Bearer ${token}`).send(body)
    expect((await patch({ capacity: 2 })).body).toMatchObject({ capacity: 2, partnerId: active })
    const other = await patch({ partnerId: archived })
    expect(other.status).toBe(422)
    expect(other.body.error).toMatchObject({ code: 'invalid_class', field: 'partnerId' })
    const overlap = await patch({ meetings: [{ start: '2030-03-05T10:00:00+01:00', end: '2030-03-05T12:00:00+01:00' }, { start: '2030-03-05T11:59:00+01:00', end: '2030-03-05T13:00:00+01:00' }] })
    expect(overlap.body.error).toMatchObject({ status: 422, code: 'invalid_class', field: 'meetings' })
    expect((await api().get(`/api/v1/classes/${id}`).set('authorization', `Bearer ${token}`)).body).toMatchObject({ capacity: 2, partnerId: active, meetings: [{ start: '2030-03-05T10:00:00+01:00' }, { start: '2030-04-02T10:00:00+02:00' }] })
  })

  it('creates a class that appears in the public catalogue, takes bookings, changes and cancels it', async () => {
    const created = await api().post('/api/v1/classes').set('authorization', `Bearer ${token}`).send(classBody())
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ courseSlug: 'mitid-kom-godt-i-gang', capacity: 1, public: true, cancelled: false, seatsTaken: 0 })
    expect(created.body.meetings[1]).toMatchObject({ start: '2030-04-02T10:00:00+02:00', end: '2030-04-02T12:00:00+02:00' })
    const id = created.body.id as number
    expect((await api().get('/')).text).toContain(`href="/hold/${id}"`)
    expect((await api().get('/api/v1/classes')).body.classes.map((c: { id: number }) => c.id)).toContain(id)

    const seat = await api().post(`/api/v1/classes/${id}/bookings`).set('authorization', `Bearer ${token}`).send({ name: 'Søren Ærø', phone: '12 34 56 78' })
    expect(seat.status).toBe(201)
    expect(seat.body).toMatchObject({ status: 'confirmed', waitlistNumber: null, created: true })
    expect(seat.body.url).toMatch(/^http:\/\/kurser\.test\/tilmelding\//)
    const waiting = await api().post(`/api/v1/classes/${id}/bookings`).set('authorization', `Bearer ${token}`).send({ name: 'Ruth Holm', bookedBy: { name: 'Lone Holm', email: 'lone@example.dk' } })
    expect(waiting.body).toMatchObject({ status: 'waitlisted', waitlistNumber: 1 })
    const again = await api().post(`/api/v1/classes/${id}/bookings`).set('authorization', `Bearer ${token}`).send({ name: 'søren ærø', phone: '+4512345678' })
    // A duplicate says nothing of the existing booking, not even to a token holder.
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('already_booked')
    expect(JSON.stringify(again.body)).not.toContain('/tilmelding/')
    const invalid = await api().post(`/api/v1/classes/${id}/bookings`).set('authorization', `Bearer ${token}`).send({ name: '' })
    expect(invalid.status).toBe(422)
    expect(invalid.body.error.details.name).toBe('Skriv dit navn.')

    const list = await api().get(`/api/v1/classes/${id}/bookings`).set('authorization', `Bearer ${token}`).expect(200)
    expect(list.body.bookings.map((b: { name: string, status: string, waitlistNumber: number | null }) => [b.name, b.status, b.waitlistNumber])).toEqual([['Søren Ærø', 'confirmed', null], ['Ruth Holm', 'waitlisted', 1]])

    const grown = await api().patch(`/api/v1/classes/${id}`).set('authorization', `Bearer ${token}`).send({ capacity: 2, note: 'Kaffe på kanden' })
    expect(grown.status).toBe(200)
    expect(grown.body).toMatchObject({ capacity: 2, seatsTaken: 2, waitlistLength: 0, note: 'Kaffe på kanden' })
    expect((await api().patch(`/api/v1/classes/${id}`).set('authorization', `Bearer ${token}`).send({})).status).toBe(400)
    await api().patch(`/api/v1/classes/${id}`).set('authorization', `Bearer ${token}`).send({ public: false }).expect(200)
    const still = await api().patch(`/api/v1/classes/${id}`).set('authorization', `Bearer ${token}`).send({ capacity: 3 }).expect(200)
    expect(still.body.public).toBe(false)
    await api().patch(`/api/v1/classes/${id}`).set('authorization', `Bearer ${token}`).send({ public: true, capacity: 2 }).expect(200)

    const cancelled = await api().post(`/api/v1/classes/${id}/cancel`).set('authorization', `Bearer ${token}`).expect(200)
    expect(cancelled.body.cancelled).toBe(true)
    expect((await api().get('/')).text).not.toContain(`href="/hold/${id}"`)
    const closed = await api().post(`/api/v1/classes/${id}/bookings`).set('authorization', `Bearer ${token}`).send({ name: 'Bent', phone: '11111111' })
    expect(closed.status).toBe(409)
    expect(closed.body.error.code).toBe('class_cancelled')
    expect((await api().get('/api/v1/classes/999999').set('authorization', `Bearer ${token}`)).status).toBe(404)
  })

  it('lists internal classes too when the list is asked for with a token', async () => {
    const internal = await api().post('/api/v1/classes').set('authorization', `Bearer ${token}`).send({ ...classBody(), public: false })
    const id = internal.body.id as number
    const open = await api().get('/api/v1/classes').expect(200)
    expect(open.body.classes.map((c: { id: number }) => c.id)).not.toContain(id)
    const withToken = await api().get('/api/v1/classes').set('authorization', `Bearer ${token}`).expect(200)
    expect(withToken.body.classes.find((c: { id: number }) => c.id === id)).toMatchObject({ public: false })
  })

  it('describes itself as OpenAPI at /api/docs', async () => {
    const docs = await api().get('/api/docs').expect(200)
    expect(docs.body.openapi).toBe('3.0.3')
    expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/api/v1/classes', '/api/v1/classes/{id}', '/api/v1/classes/{id}/bookings', '/api/v1/classes/{id}/cancel']))
    expect(docs.body.components.securitySchemes.bearerAuth.scheme).toBe('bearer')
  })

  it('stops accepting a revoked token', async () => {
    const page = await admin.get('/personale/api-noegler')
    const id = (await t.db.selectFrom('api_tokens').select('id').executeTakeFirstOrThrow()).id
    await admin.post(`/personale/api-noegler/${id}/tilbagekald`).type('form').send({ _csrf: csrfOf(page.text) }).expect(303)
    const res = await api().post('/api/v1/classes').set('authorization', `Bearer ${token}`).send(classBody())
    expect(res.status).toBe(401)
    const actions = (await t.db.selectFrom('audit_log').select('action').execute()).map(a => a.action)
    expect(actions).toEqual(expect.arrayContaining(['api_token_created', 'api_token_revoked', 'class_created', 'class_cancelled']))
  })

  it('every API answer these tests got is documented, with a body that fits its schema', async () => {
    await apiAnswers.check()
  })
})
