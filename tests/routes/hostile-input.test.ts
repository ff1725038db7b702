import fc from 'fast-check'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CITIZEN } from '../../server/domain/actor.ts'
import { API_SCOPES } from '../../server/domain/api-token.ts'
import { createApiToken } from '../../server/services/api-token-service.ts'
import { bookingInput, bookNew, createClass, createClassToday, createStaff, staffIdOf, asStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent, type TestApp } from '../helpers/http.ts'

/**
 * Random and hostile input at every public form and API endpoint: huge fields, control
 * characters, wrong types, unicode names, markup and SQL. The promise: never a 500,
 * never stored markup that renders as HTML, always a Danish message.
 */
const hostile = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    'Søren Ærø', 'محمد علي', '李小龙', 'Zoë Ångström-Ødegård', '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>',
    "Robert'); DROP TABLE bookings;--", "' OR '1'='1", '=HYPERLINK("http://x")', '\u0000\u0001\u0007', '\u202Eevil', '   ', '',
    '12 34 56 78', '+45 12345678', 'a@b.dk', 'x'.repeat(5000), '{{7*7}}', '<%= it %>', '../../etc/passwd', '%00', 'null', 'undefined', '[object Object]'
  )
)
/**
 * Text built to deceive: bidi overrides and isolates, zero-width and other invisible
 * format characters, combining marks (also on letters that have a composed form) and
 * full-width look-alikes, mixed with plain letters.
 */
const deceptive = fc.array(fc.oneof(
  fc.constantFrom('G', 'r', 'e', 't', 'h', ' ', 'Ø', 'å', 'ä', 'محمد', '李'),
  fc.constantFrom('\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u061C'),
  fc.constantFrom('\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD', '\u180E', '\u{E0041}'),
  fc.constantFrom('a\u030A', 'o\u0308', 'e\u0301', '\u0301', '\u0338', 'A\u030A'),
  fc.integer({ min: 0xFF21, max: 0xFF5A }).map(c => String.fromCodePoint(c))
), { minLength: 1, maxLength: 20 }).map(parts => `A${parts.join('')}`)
/** A form field as a browser or an attacker may send it: a string, repeated, or missing. */
const field = fc.oneof({ weight: 6, arbitrary: hostile }, { weight: 1, arbitrary: fc.array(hostile, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant(undefined) })
const json = fc.jsonValue({ maxDepth: 3 })

const DANISH = /Skriv|Tjek|Ret|Vælg|kan ikke|ikke|findes|gemt|Siden|ugyldig|forkert|Vent/i
const runs = { numRuns: 60 }

function formOf (fields: Record<string, unknown>): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v))
  }
  return params.toString()
}

describe('hostile input', () => {
  let t: TestApp
  let classId: number
  let token: string
  let apiToken: string
  let meetingId: number
  let leader: Awaited<ReturnType<typeof signedInAgent>>
  beforeAll(async () => {
    t = await buildTestApp({ bookingRateLimit: 100_000 })
    classId = await createClass(t.db, { capacity: 500 })
    token = (await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Grethe Hansen', phone: '+4512345678' }), { source: 'online' })).token
    const admin = await createStaff(t.db, 'admin', 'admin@bib.dk')
    apiToken = (await createApiToken(t.db, asStaff(await staffIdOf(t.db, 'admin@bib.dk')), { name: 'Test', scopes: [...API_SCOPES], expiresAt: '2099-01-01T00:00:00.000Z' })).token
    meetingId = (await createClassToday(t.db, { capacity: 500 })).meetingId
    // Signed in first: the sign-in form's rate limit is spent by the hostile posts below.
    leader = await signedInAgent(t.app, admin)
  })
  afterAll(async () => { await t.app.close() })

  it('the booking form: never a 500, a Danish message for what is wrong, and a stored name never renders as markup', async () => {
    const agent = request.agent(t.app.server)
    const csrf = csrfOf((await agent.get(`/hold/${classId}`)).text)
    await fc.assert(fc.asyncProperty(fc.record({ name: field, phone: field, email: field, birth_year: field, needs_other: field, booker_name: field, booker_phone: field, booker_email: field, for_someone_else: field, needs_companion: field }), async fields => {
      const res = await agent.post(`/hold/${classId}/tilmeld`).type('form').send(formOf({ _csrf: csrf, ...fields }))
      expect(res.status, JSON.stringify(fields)).toBeLessThan(500)
      if (res.status >= 400) expect(res.text).toMatch(DANISH)
      if (res.status === 303) {
        const page = await agent.get(res.headers.location as string)
        expect(page.status).toBe(200)
        expect(page.text).not.toMatch(/<script>alert|<img src=x/)
      }
    }), runs)
    // With a valid phone the hostile name is stored: it must come back as text, never as markup.
    let stored = 0
    await fc.assert(fc.asyncProperty(hostile, fc.integer({ min: 10_000_000, max: 99_999_999 }), async (name, phone) => {
      const res = await agent.post(`/hold/${classId}/tilmeld`).type('form').send(formOf({ _csrf: csrf, name, phone: String(phone) }))
      expect(res.status).toBeLessThan(500)
      if (res.status !== 303) return
      stored++
      const page = await agent.get(res.headers.location as string)
      expect(page.text).not.toMatch(/<script>alert|<img src=x|onerror=alert\(1\)>/)
    }), runs)
    expect(stored).toBeGreaterThan(10)
  })

  it('names and needs with bidi overrides, zero-width characters, combining marks and look-alikes are stored in NFC without format characters', async () => {
    const agent = request.agent(t.app.server)
    const csrf = csrfOf((await agent.get(`/hold/${classId}`)).text)
    let stored = 0
    await fc.assert(fc.asyncProperty(deceptive, deceptive, fc.integer({ min: 10_000_000, max: 99_999_999 }), async (name, needs, phone) => {
      const res = await agent.post(`/hold/${classId}/tilmeld`).type('form').send(formOf({ _csrf: csrf, name, phone: String(phone), needs_other: needs }))
      expect(res.status, JSON.stringify(name)).toBeLessThan(500)
      if (res.status !== 303) return
      stored++
      const row = await t.db.selectFrom('bookings').innerJoin('participants', 'participants.id', 'bookings.participant_id')
        .select(['participants.name', 'bookings.needs_other']).where('bookings.token', '=', (res.headers.location as string).split('/')[2]!.split('?')[0]!).executeTakeFirstOrThrow()
      for (const text of [row.name, row.needs_other ?? '']) {
        expect(text, JSON.stringify(name)).not.toMatch(/\p{Cf}/u)
        expect(text).toBe(text.normalize('NFC'))
      }
    }), runs)
    expect(stored).toBeGreaterThan(10)
  })

  it('the cancel, interest, sign-in and PIN forms: never a 500', async () => {
    const agent = request.agent(t.app.server)
    const csrf = csrfOf((await agent.get('/kurser/mitid-kom-godt-i-gang')).text)
    await fc.assert(fc.asyncProperty(field, field, hostile, async (a, b, path) => {
      for (const [url, fields] of [
        ['/kurser/mitid-kom-godt-i-gang/besked', { _csrf: csrf, email: a, website: b }],
        [`/kurser/${encodeURIComponent(path)}/besked`, { _csrf: csrf, email: a }],
        [`/tilmelding/${encodeURIComponent(path)}/afmeld`, { _csrf: csrf, confirm: a }],
        ['/personale/log-ind', { _csrf: csrf, email: a, password: b, next: path }],
        [`/tjek-ind/adgang/${encodeURIComponent(path)}`, { _csrf: csrf, pin: a }],
        [`/interesse/afmeld/${encodeURIComponent(path)}`, {}]
      ] as const) {
        const res = await agent.post(url).type('form').send(formOf(fields))
        expect(res.status, `${url} ${JSON.stringify(fields)}`).toBeLessThan(500)
        if (res.status >= 400 && res.status !== 429) expect(res.text, url).toMatch(DANISH)
      }
      const get = await agent.get(`/?emne=${encodeURIComponent(path)}&sted=${encodeURIComponent(String(a))}`)
      expect(get.status).toBeLessThan(500)
    }), { numRuns: 40 })
    // The real booking is still there, untouched.
    expect((await request(t.app.server).get(`/tilmelding/${token}`)).status).toBe(200)
  })

  it('NUL characters (which PostgreSQL refuses in text) in paths, queries, forms and JSON: dropped, never a 500', async () => {
    const nul = '\u0000\u0001\u0007'
    for (const path of ['/hold/%00', '/kurser/%00%01%07', `/tilmelding/${encodeURIComponent(nul)}`, `/?emne=${encodeURIComponent(nul)}&sted=%00`, `/interesse/afmeld/${encodeURIComponent(nul)}`]) {
      expect((await request(t.app.server).get(path)).status, path).toBeLessThan(500)
    }
    const agent = request.agent(t.app.server)
    const csrf = csrfOf((await agent.get('/kurser/mitid-kom-godt-i-gang')).text)
    for (const url of [`/kurser/${encodeURIComponent(nul)}/besked`, `/tilmelding/${encodeURIComponent(nul)}/afmeld`, `/tjek-ind/adgang/${encodeURIComponent(nul)}`, `/interesse/afmeld/${encodeURIComponent(nul)}`]) {
      expect((await agent.post(url).type('form').send(formOf({ _csrf: csrf, email: nul, pin: nul, confirm: nul }))).status, url).toBeLessThan(500)
    }
    const page = await agent.get(`/hold/${classId}`)
    const booked = await agent.post(`/hold/${classId}/tilmeld`).type('form').send(formOf({ _csrf: csrfOf(page.text), name: 'Karen\u0000 Nul', phone: '87 65 43 21', email: '' }))
    expect(booked.status).toBe(303)
    expect(await t.db.selectFrom('participants').select('name').where('phone', '=', '+4587654321').execute()).toEqual([{ name: 'Karen Nul' }])
    const api = await request(t.app.server).get(`/api/v1/hold?emne=${encodeURIComponent(nul)}`).set('authorization', `Bearer ${apiToken}`)
    expect(api.status).toBeLessThan(500)
  })

  it('ids beyond what the database holds (PostgreSQL refuses them): a 404 or a 4xx, never a 500', async () => {
    const auth = { authorization: `Bearer ${apiToken}` }
    for (const path of ['/hold/9999999999', '/api/v1/classes/9999999999', '/api/v1/classes/9999999999/bookings', '/?sted=9999999999']) {
      expect((await request(t.app.server).get(path).set(auth)).status, path).toBeLessThan(500)
    }
    expect((await request(t.app.server).patch('/api/v1/classes/9999999999').set(auth).send({ capacity: 5 })).status).toBe(404)
    expect((await request(t.app.server).post('/api/v1/classes/9999999999/cancel').set(auth)).status).toBeLessThan(500)
    const created = await request(t.app.server).post('/api/v1/classes').set(auth)
      .send({ courseSlug: 'mitid-appen', locationId: 99999999999, capacity: 5, meetings: [{ startsAt: '2030-03-05T10:00:00+01:00', endsAt: '2030-03-05T12:00:00+01:00' }] })
    expect(created.status).toBe(400)
  })

  it('the API: wrong types and hostile values give a 4xx with a Danish message in JSON, never a 500', async () => {
    await fc.assert(fc.asyncProperty(json, hostile, async (body, text) => {
      const auth = { authorization: `Bearer ${apiToken}` }
      const responses = [
        await request(t.app.server).post(`/api/v1/classes/${classId}/bookings`).set(auth).set('content-type', 'application/json').send(JSON.stringify(body)),
        await request(t.app.server).post('/api/v1/classes').set(auth).set('content-type', 'application/json').send(JSON.stringify(body)),
        await request(t.app.server).patch(`/api/v1/classes/${classId}`).set(auth).set('content-type', 'application/json').send(JSON.stringify(body)),
        await request(t.app.server).post(`/api/v1/classes/${classId}/bookings`).set(auth).send({ name: text, phone: text, email: text }),
        await request(t.app.server).get(`/api/v1/classes?topic=${encodeURIComponent(text)}&from=${encodeURIComponent(text)}`),
        await request(t.app.server).get(`/api/v1/classes/${encodeURIComponent(text)}`).set(auth)
      ]
      for (const res of responses) {
        expect(res.status, `${JSON.stringify(body)} ${text}`).toBeLessThan(500)
        if (res.status >= 400) {
          expect(typeof res.body.error?.message, res.text).toBe('string')
          expect(res.body.error.message).toMatch(/[a-zæøå]/i)
          expect(res.body.error.message).toMatch(DANISH)
        }
      }
    }), runs)
  })

  it('the door: hostile batches never give a 500, and names typed at the door never render as markup', async () => {
    const csrf = csrfOf((await leader.get(`/tjek-ind/${meetingId}`)).text)
    let n = 0
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(json, fc.record({ key: hostile, type: fc.constantFrom('in', 'out', 'code', 'walkin', 'x'), bookingId: json, code: hostile, person: fc.record({ name: hostile, phone: hostile, email: hostile }) })), { maxLength: 5 }), async actions => {
      const withKeys = actions.map(a => (typeof a === 'object' && a !== null && !Array.isArray(a) && 'type' in a) ? { ...a, key: `fc-${++n}-${String(a.key).length}` } : a)
      const res = await leader.post(`/tjek-ind/${meetingId}/synk`).send({ _csrf: csrf, actions: withKeys })
      expect(res.status, JSON.stringify(withKeys)).toBeLessThan(500)
    }), { numRuns: 40 })
    const page = await leader.get(`/tjek-ind/${meetingId}`)
    expect(page.status).toBe(200)
    expect(page.text).not.toMatch(/<script>alert|<img src=x/)
  })
})
