import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent, type TestApp } from '../helpers/http.ts'

describe('places and partners', () => {
  let t: TestApp
  let agent: Awaited<ReturnType<typeof signedInAgent>>
  beforeAll(async () => {
    t = await buildTestApp()
    agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
  })
  afterAll(async () => { await t.app.close() })

  it('creates a place after showing Danish errors with the values kept', async () => {
    const form = await agent.get('/personale/steder/ny').expect(200)
    const bad = await agent.post('/personale/steder/ny').type('form').send({ _csrf: csrfOf(form.text), name: 'Seniorklubben Solsikken', kind: 'club', street: '', postal_code: '87', city: 'Horsens', room: 'Klubstuen' })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('Skriv vejnavn og husnummer.')
    expect(bad.text).toContain('Skriv et postnummer med 4 cifre')
    expect(bad.text).toContain('value="Seniorklubben Solsikken"')
    expect(bad.text).toContain('value="87"')
    expect(bad.text).toContain('<option value="club" selected>')

    const good = await agent.post('/personale/steder/ny').type('form').send({ _csrf: csrfOf(bad.text), name: 'Seniorklubben Solsikken', kind: 'club', street: 'Fælledvej 3', postal_code: '8700', city: 'Horsens', room: 'Klubstuen', hearing_loop: '1', access_note: 'Trappe ned til klubstuen.' })
    expect(good.status).toBe(303)
    const row = await t.db.selectFrom('locations').selectAll().where('name', '=', 'Seniorklubben Solsikken').executeTakeFirstOrThrow()
    expect(row).toMatchObject({ kind: 'club', street: 'Fælledvej 3', postal_code: '8700', step_free: 0, hearing_loop: 1, access_note: 'Trappe ned til klubstuen.' })
    const list = await agent.get('/personale/steder?gemt=1').expect(200)
    expect(list.text).toContain('Ændringen er gemt.')
    expect(list.text).toContain('Seniorklubben Solsikken')

    // The new place is offered in the citizens' filter.
    expect((await request(t.app.server).get('/')).text).toContain(`<option value="${row.id}">Seniorklubben Solsikken</option>`)
  })

  it('edits and archives a place, which then leaves the public filter', async () => {
    const id = (await t.db.selectFrom('locations').select('id').where('name', '=', 'Seniorklubben Solsikken').executeTakeFirstOrThrow()).id
    const form = await agent.get(`/personale/steder/${id}`).expect(200)
    expect(form.text).toContain('value="Fælledvej 3"')
    const saved = await agent.post(`/personale/steder/${id}`).type('form').send({ _csrf: csrfOf(form.text), name: 'Seniorklubben Solsikken', kind: 'club', street: 'Fælledvej 5', postal_code: '8700', city: 'Horsens', step_free: '1' })
    expect(saved.status).toBe(303)
    const row = await t.db.selectFrom('locations').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ street: 'Fælledvej 5', step_free: 1, hearing_loop: 0, room: null })

    const list = await agent.get('/personale/steder')
    const archived = await agent.post(`/personale/steder/${id}/arkiver`).type('form').send({ _csrf: csrfOf(list.text), archive: '1' })
    expect(archived.status).toBe(303)
    expect((await request(t.app.server).get('/')).text).not.toContain('Seniorklubben Solsikken')
    const restored = await agent.post(`/personale/steder/${id}/arkiver`).type('form').send({ _csrf: csrfOf(list.text), archive: '0' })
    expect(restored.status).toBe(303)
    expect((await request(t.app.server).get('/')).text).toContain('Seniorklubben Solsikken')

    const actions = (await t.db.selectFrom('audit_log').select(['action', 'subject_id']).where('subject_type', '=', 'location').execute()).map(a => a.action)
    expect(actions).toEqual(['location_created', 'location_updated', 'location_archived', 'location_restored'])
  })

  it('refuses a change without a valid CSRF token and keeps what was typed', async () => {
    const res = await agent.post('/personale/steder/ny').type('form').send({ name: 'Brædstrup Bibliotek', kind: 'branch' })
    expect(res.status).toBe(403)
    expect(res.text).toContain('value="Brædstrup Bibliotek"')
    expect((await agent.post('/personale/steder/1/arkiver').type('form').send({})).status).toBe(403)
    expect((await agent.post('/personale/partnere/ny').type('form').send({ name: 'Klub' })).status).toBe(403)
  })

  it('creates, edits and archives a partner', async () => {
    const form = await agent.get('/personale/partnere/ny').expect(200)
    const bad = await agent.post('/personale/partnere/ny').type('form').send({ _csrf: csrfOf(form.text), name: ' ' })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('Skriv partnerens navn')
    const created = await agent.post('/personale/partnere/ny').type('form').send({ _csrf: csrfOf(bad.text), name: 'Ældre Sagen Horsens', contact: 'Bent, 20 30 40 50' })
    expect(created.status).toBe(303)
    const partner = await t.db.selectFrom('partners').selectAll().executeTakeFirstOrThrow()
    expect(partner).toMatchObject({ name: 'Ældre Sagen Horsens', contact: 'Bent, 20 30 40 50', archived_at: null })
    const edit = await agent.get(`/personale/partnere/${partner.id}`).expect(200)
    await agent.post(`/personale/partnere/${partner.id}`).type('form').send({ _csrf: csrfOf(edit.text), name: 'Ældre Sagen', contact: '' }).expect(303)
    await agent.post(`/personale/partnere/${partner.id}/arkiver`).type('form').send({ _csrf: csrfOf(edit.text), archive: '1' }).expect(303)
    const after = await t.db.selectFrom('partners').selectAll().where('id', '=', partner.id).executeTakeFirstOrThrow()
    expect(after.name).toBe('Ældre Sagen')
    expect(after.contact).toBeNull()
    expect(after.archived_at).not.toBeNull()
    expect((await agent.get('/personale/partnere/999')).status).toBe(404)
  })
})
