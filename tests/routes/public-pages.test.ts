import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bookSeat } from '../../server/services/booking-service.ts'
import { bookingInput, createClass, createLocation } from '../helpers/factories.ts'
import { buildTestApp, type TestApp } from '../helpers/http.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

const someone = (n: number) => bookingInput({ name: `Person ${n}`, phone: `+45${30000000 + n}` })

describe('catalogue, course and class pages', () => {
  let t: TestApp
  let library: number
  let club: number
  let mitidClass: number
  let fullClass: number
  let postClass: number
  let internalClass: number
  let pastClass: number

  beforeAll(async () => {
    t = await buildTestApp()
    library = await createLocation(t.db, { name: 'Hovedbiblioteket', hearing_loop: 1, step_free: 1 })
    club = await createLocation(t.db, { name: 'Seniorklubben Solsikken', street: 'Fælledvej 3', step_free: 0, hearing_loop: 0 })
    mitidClass = await createClass(t.db, { course: 'mitid-kom-godt-i-gang', locationId: library, capacity: 12, meetings: ['2030-03-05T10:00', '2030-03-12T10:00'], minutes: 90 })
    fullClass = await createClass(t.db, { course: 'mitid-appen', locationId: club, capacity: 2, meetings: ['2030-03-06T13:30'] })
    postClass = await createClass(t.db, { course: 'digital-post-laes-og-svar', locationId: club, capacity: 8, meetings: ['2030-04-01T10:00'] })
    internalClass = await createClass(t.db, { course: 'digital-post-laes-og-svar', locationId: library, isPublic: false, meetings: ['2030-04-02T10:00'] })
    pastClass = await createClass(t.db, { course: 'digital-post-laes-og-svar', locationId: library, meetings: ['2020-04-02T10:00'] })
    for (let i = 1; i <= 5; i++) await bookSeat(t.db, CITIZEN, fullClass, someone(i), { source: 'online' })
    await bookSeat(t.db, CITIZEN, mitidClass, someone(9), { source: 'online' })
  })
  afterAll(async () => { await t.app.close() })

  it('lists upcoming public classes with place, first time, meetings and seats', async () => {
    const res = await request(t.app.server).get('/').expect(200)
    expect(res.headers['content-type']).toMatch(/text\/html/)
    expect(res.text).toContain('<html lang="da">')
    expect(res.text).toContain(`href="/hold/${mitidClass}"`)
    expect(res.text).toContain('tirsdag 5. marts 2030 kl. 10.00–11.30')
    expect(res.text).toContain('2 gange')
    expect(res.text).toContain('11 ledige pladser')
    expect(res.text).toMatch(/Fuldt – venteliste<\/span> <span class="status-note">\(3 venter\)/)
    expect(res.text).not.toContain(`href="/hold/${internalClass}"`)
    expect(res.text).not.toContain(`href="/hold/${pastClass}"`)
    expect(res.text).toContain('3 hold')
  })

  it('filters by topic and by place with a GET form', async () => {
    const byTopic = await request(t.app.server).get('/?emne=digital-post').expect(200)
    expect(byTopic.text).toContain(`href="/hold/${postClass}"`)
    expect(byTopic.text).not.toContain(`href="/hold/${mitidClass}"`)
    expect(byTopic.text).toContain('<option value="digital-post" selected>')

    const byPlace = await request(t.app.server).get(`/?sted=${club}`).expect(200)
    expect(byPlace.text).toContain(`href="/hold/${fullClass}"`)
    expect(byPlace.text).toContain(`href="/hold/${postClass}"`)
    expect(byPlace.text).not.toContain(`href="/hold/${mitidClass}"`)

    const both = await request(t.app.server).get(`/?emne=mitid&sted=${library}`).expect(200)
    expect(both.text).toContain(`href="/hold/${mitidClass}"`)
    expect(both.text).not.toContain(`href="/hold/${fullClass}"`)

    const none = await request(t.app.server).get(`/?emne=sundhed&sted=${club}`).expect(200)
    expect(none.text).toContain('Der er ingen kommende hold, der passer til dit valg')
  })

  it('ignores unknown filter values with a message instead of failing', async () => {
    const res = await request(t.app.server).get('/?emne=%3Cscript%3E&sted=abc').expect(200)
    expect(res.text).toContain('Vi kendte ikke det emne eller sted')
    expect(res.text).not.toContain('<script>')
    expect(res.text).toContain(`href="/hold/${mitidClass}"`)
  })

  it('shows a course page with goals, what to bring and its classes', async () => {
    const res = await request(t.app.server).get('/kurser/mitid-kom-godt-i-gang').expect(200)
    expect(res.text).toContain('<h1>Kom godt i gang med MitID</h1>')
    expect(res.text).toContain('Det lærer du')
    expect(res.text).toContain('Det skal du have med')
    expect(res.text).toContain(`href="/hold/${mitidClass}"`)
    const all = await request(t.app.server).get('/kurser').expect(200)
    expect(all.text).toContain('href="/kurser/digital-post-laes-og-svar"')
  })

  it('shows everything a citizen needs on the class page', async () => {
    const res = await request(t.app.server).get(`/hold/${mitidClass}`).expect(200)
    expect(res.text).toContain('Tirsdag 5. marts 2030 kl. 10.00–11.30')
    expect(res.text).toContain('Tirsdag 12. marts 2030 kl. 10.00–11.30')
    expect(res.text).toContain('Hovedbiblioteket')
    expect(res.text).toContain('Bibliotekstorvet 1')
    expect(res.text).toContain('Der er teleslynge i lokalet.')
    expect(res.text).toContain('adgang uden trapper')
    expect(res.text).toContain('openstreetmap.org/search?query=Bibliotekstorvet%201%2C%208700%20Horsens')
    expect(res.text).toMatch(/<label class="form-label" for="f-name">(<span [^>]*>)?Navn</)
    expect(res.text).toContain('name="_csrf"')
    expect(res.text).toContain('name="website"')
    expect(res.text).toContain('Sådan bruger vi dine oplysninger')
    expect(res.text).toContain('>Tilmeld</button>')

    const full = await request(t.app.server).get(`/hold/${fullClass}`).expect(200)
    expect(full.text).toContain('Skriv mig på ventelisten</button>')
    expect(full.text).toContain('Der er trapper.')
  })

  it('has no booking form on a class that has ended, and hides internal classes', async () => {
    const past = await request(t.app.server).get(`/hold/${pastClass}`).expect(200)
    expect(past.text).toContain('Holdet er slut.')
    expect(past.text).not.toContain('name="_csrf"')
    await request(t.app.server).get(`/hold/${internalClass}`).expect(404)
  })

  it('answers unknown pages with a Danish 404 in the same look', async () => {
    for (const path of ['/findes-ikke', '/hold/999999', '/hold/abc', '/hold/1e3', '/kurser/findes-ikke', '/tilmelding/kort', '/tilmelding/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa']) {
      const res = await request(t.app.server).get(path)
      expect(res.status, path).toBe(404)
      expect(res.text).toContain('Siden findes ikke')
      expect(res.text).toContain('class="site-header"')
    }
    const api = await request(t.app.server).get('/api/v1/findes-ikke').expect(404)
    expect(api.body.error.status).toBe(404)
  })

  it('sends security headers and serves the design system', async () => {
    const res = await request(t.app.server).get('/').expect(200)
    expect(res.headers['content-security-policy']).toContain("script-src 'self'")
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    await request(t.app.server).get('/static/dkfds/css/dkfds-borgerdk.min.css').expect(200)
    await request(t.app.server).get('/static/css/app.css').expect(200)
    await request(t.app.server).get('/static/dkfds/package.json').expect(404)
  })
})

describe('the catalogue in pages', () => {
  it('shows thirty classes a page, soonest first, with links to the next and previous page that keep the filter', async () => {
    const t = await buildTestApp()
    const location = await createLocation(t.db)
    for (let i = 0; i < 35; i++) await createClass(t.db, { locationId: location, meetings: [`2030-03-${String(1 + (i % 28)).padStart(2, '0')}T${String(9 + Math.floor(i / 28)).padStart(2, '0')}:00`] })
    const first = await request(t.app.server).get('/').expect(200)
    expect((first.text.match(/class="class-card"/g) ?? []).length).toBe(30)
    expect(first.text).toContain('35 hold – side 1 af 2')
    expect(first.text).toContain('Viser hold 1–30 af 35.')
    expect(first.text).toContain('href="/?side=2#resultater"')
    const second = await request(t.app.server).get('/?side=2').expect(200)
    expect((second.text.match(/class="class-card"/g) ?? []).length).toBe(5)
    expect(second.text).toContain('href="/#resultater">Forrige side')
    const filtered = await request(t.app.server).get(`/?sted=${location}`).expect(200)
    expect(filtered.text).toContain(`href="/?sted=${location}&amp;side=2#resultater"`)
    expect((await request(t.app.server).get('/?side=99')).text).toContain('side 2 af 2')
    await t.app.close()
  })
})
