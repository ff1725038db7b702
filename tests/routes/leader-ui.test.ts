import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../server/config.ts'
import { bookingInput, bookNew, createClass, createStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent, type TestApp, testConfig } from '../helpers/http.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

const person = (name: string, phone: string) => bookingInput({ name, phone })

describe('a leader confirms before anything is undone', () => {
  let t: TestApp
  let agent: Awaited<ReturnType<typeof signedInAgent>>
  beforeAll(async () => {
    t = await buildTestApp()
    agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
  })
  afterAll(async () => { await t.app.close() })

  /** Books and returns the booking's id and its participant. */
  const book = async (...args: Parameters<typeof bookNew>) => {
    const { token } = await bookNew(...args)
    const row = await t.db.selectFrom('bookings').select(['id', 'participant_id']).where('token', '=', token).executeTakeFirstOrThrow()
    return { bookingId: row.id, participantId: row.participant_id }
  }
  const statusOf = async (bookingId: number) => (await t.db.selectFrom('bookings').select('status').where('id', '=', bookingId).executeTakeFirstOrThrow()).status

  it('"Afmeld" on the class page asks first; a POST without the confirmation cancels nothing', async () => {
    const id = await createClass(t.db, { capacity: 2, meetings: ['2030-04-05T10:00'] })
    const { bookingId } = await book(t.db, CITIZEN, id, person('Hanne Olsen', '+4531000001'), { source: 'online' })
    const page = await agent.get(`/personale/hold/${id}`).expect(200)
    // The table links to a page that asks; it holds no form that cancels in one tap.
    expect(page.text).toContain(`href="/personale/tilmeldinger/${bookingId}/afmeld"`)
    expect(page.text).not.toContain(`action="/personale/tilmeldinger/${bookingId}/afmeld"`)

    const unconfirmed = await agent.post(`/personale/tilmeldinger/${bookingId}/afmeld`).type('form').send({ _csrf: csrfOf(page.text) })
    expect(unconfirmed.status).toBe(200)
    expect(unconfirmed.text).toContain('Afmeld Hanne Olsen?')
    expect(await statusOf(bookingId)).toBe('confirmed')

    const ask = await agent.get(`/personale/tilmeldinger/${bookingId}/afmeld`).expect(200)
    expect(ask.text).toContain('Afmeld Hanne Olsen?')
    expect(ask.text).toContain('Ja, afmeld')
    expect(ask.text).toContain(`href="/personale/hold/${id}#deltagere"`)
    const done = await agent.post(`/personale/tilmeldinger/${bookingId}/afmeld`).type('form').send({ _csrf: csrfOf(ask.text), bekraeft: 'ja' })
    expect(done.status).toBe(303)
    expect(await statusOf(bookingId)).toBe('cancelled')
    await agent.get('/personale/tilmeldinger/999999/afmeld').expect(404)
  })

  it('merging two participants asks first, naming both', async () => {
    const a = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const b = await createClass(t.db, { meetings: ['2030-03-12T10:00'] })
    const first = await book(t.db, CITIZEN, a, person('Grethe Hansen', '+4512345670'), { source: 'online' })
    const second = await book(t.db, CITIZEN, b, bookingInput({ name: 'Grethe H.', phone: '+4512345670', email: 'gh@example.dk' }), { source: 'online' })
    const [one, other] = [first.participantId, second.participantId]
    expect(one).not.toBe(other)
    const page = await agent.get(`/personale/deltagere/${one}`).expect(200)
    const unconfirmed = await agent.post(`/personale/deltagere/${one}/slaa-sammen`).type('form').send({ _csrf: csrfOf(page.text), other_id: String(other) })
    expect(unconfirmed.status).toBe(200)
    expect(unconfirmed.text).toContain('Slå Grethe Hansen og Grethe H. sammen?')
    expect(await t.db.selectFrom('participants').select('id').where('id', '=', other).executeTakeFirst()).toBeDefined()

    const merged = await agent.post(`/personale/deltagere/${one}/slaa-sammen`).type('form').send({ _csrf: csrfOf(unconfirmed.text), other_id: String(other), bekraeft: 'ja' })
    expect(merged.status).toBe(303)
    expect(await t.db.selectFrom('participants').select('id').where('id', '=', other).executeTakeFirst()).toBeUndefined()
  })

  it('cancelling a class holds without the confirmation, even from a forged form', async () => {
    const id = await createClass(t.db, { meetings: ['2030-06-05T10:00'] })
    const ask = await agent.get(`/personale/hold/${id}/aflys`).expect(200)
    const unconfirmed = await agent.post(`/personale/hold/${id}/aflys`).type('form').send({ _csrf: csrfOf(ask.text) })
    expect(unconfirmed.status).toBe(200)
    expect(unconfirmed.text).toContain('Aflys holdet?')
    expect((await t.db.selectFrom('classes').select('cancelled_at').where('id', '=', id).executeTakeFirstOrThrow()).cancelled_at).toBeNull()
    await agent.post(`/personale/hold/${id}/aflys`).type('form').send({ _csrf: csrfOf(ask.text), bekraeft: 'ja' }).expect(303)
    expect((await t.db.selectFrom('classes').select('cancelled_at').where('id', '=', id).executeTakeFirstOrThrow()).cancelled_at).not.toBeNull()
  })

  it('in call-down mode the message after a cancel sends the leader to the call list', async () => {
    const id = await createClass(t.db, { capacity: 1, meetings: ['2030-07-05T10:00'] })
    await t.db.updateTable('classes').set({ waitlist_mode: 'call' }).where('id', '=', id).execute()
    const seat = await book(t.db, CITIZEN, id, person('Ruth Holm', '+4531000011'), { source: 'online' })
    const waiting = await book(t.db, CITIZEN, id, person('Poul Holm', '+4531000012'), { source: 'online' })
    const ask = await agent.get(`/personale/tilmeldinger/${seat.bookingId}/afmeld`).expect(200)
    expect(ask.text).toContain('ring til ventelisten')
    const done = await agent.post(`/personale/tilmeldinger/${seat.bookingId}/afmeld`).type('form').send({ _csrf: csrfOf(ask.text), bekraeft: 'ja' })
    const after = await agent.get(done.headers.location as string).expect(200)
    expect(after.text).toContain('Pladsen er ledig. Ring til ventelisten')
    expect(after.text).toContain(`href="/personale/hold/${id}/venteliste"`)
    expect(after.text).not.toContain('har fået den')
    expect(await statusOf(waiting.bookingId)).toBe('waitlisted')
  })

  it('in automatic mode the message says who got the seat only when someone did', async () => {
    const id = await createClass(t.db, { capacity: 1, meetings: ['2030-07-06T10:00'] })
    const seat = await book(t.db, CITIZEN, id, person('Ruth Holm', '+4531000021'), { source: 'online' })
    await book(t.db, CITIZEN, id, person('Poul Holm', '+4531000022'), { source: 'online' })
    const ask = await agent.get(`/personale/tilmeldinger/${seat.bookingId}/afmeld`).expect(200)
    const done = await agent.post(`/personale/tilmeldinger/${seat.bookingId}/afmeld`).type('form').send({ _csrf: csrfOf(ask.text), bekraeft: 'ja' })
    expect((await agent.get(done.headers.location as string)).text).toContain('Den første på ventelisten har fået pladsen.')
  })

  it('phone numbers are tel: links that do not wrap, on the class page and the call-down list', async () => {
    const id = await createClass(t.db, { capacity: 1, meetings: ['2030-08-05T10:00'] })
    await book(t.db, CITIZEN, id, person('Ruth Holm', '+4531000031'), { source: 'online' })
    await book(t.db, CITIZEN, id, person('Poul Holm', '+4531000032'), { source: 'online' })
    const page = await agent.get(`/personale/hold/${id}`).expect(200)
    expect(page.text).toContain('<a class="phone" href="tel:+4531000031">31 00 00 31</a>')
    expect(page.text).toContain('data-label="Telefon"')
    const calls = await agent.get(`/personale/hold/${id}/venteliste`).expect(200)
    expect(calls.text).toContain('<a class="phone" href="tel:+4531000032">31 00 00 32</a>')
  })
})

describe('the site name and logo are settings', () => {
  it('SITE_NAME defaults to ORGANISATION_NAME; LOGO_FILE must exist and be an image', () => {
    const base = { NODE_ENV: 'test', DATABASE_FILE: ':memory:', ORGANISATION_NAME: 'Horsens Bibliotekerne' }
    expect(loadConfig(base).siteName).toBe('Horsens Bibliotekerne')
    expect(loadConfig({ ...base, SITE_NAME: 'Digitale kurser i Horsens' }).siteName).toBe('Digitale kurser i Horsens')
    expect(loadConfig(base).logoFile).toBeNull()
    expect(() => loadConfig({ ...base, LOGO_FILE: '/findes/ikke.svg' })).toThrow(/LOGO_FILE/)
    const dir = mkdtempSync(join(tmpdir(), 'logo-'))
    writeFileSync(join(dir, 'logo.txt'), 'x')
    expect(() => loadConfig({ ...base, LOGO_FILE: join(dir, 'logo.txt') })).toThrow(/LOGO_FILE/)
    expect(() => loadConfig({ ...base, SITE_NAME: 'x'.repeat(101) })).toThrow(/SITE_NAME/)
  })

  it('shows the logo with the site name as its alt text, and serves the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logo-'))
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#006"/></svg>'
    writeFileSync(join(dir, 'kommune.svg'), svg)
    const t = await buildTestApp({ siteName: 'Horsens Kommunes kurser', logoFile: join(dir, 'kommune.svg') })
    const home = await request(t.app.server).get('/').expect(200)
    expect(home.text).toMatch(/<img class="site-logo" src="\/logo" alt="Horsens Kommunes kurser"/)
    expect(home.text).toContain('<title>Kommende hold – Horsens Kommunes kurser</title>')
    const logo = await request(t.app.server).get('/logo').expect(200)
    expect(logo.headers['content-type']).toBe('image/svg+xml')
    expect(logo.headers['x-content-type-options']).toBe('nosniff')
    expect(logo.headers['content-security-policy']).toContain("script-src 'none'")
    expect(logo.body.toString()).toBe(svg)
    await t.app.close()
  })

  it('without LOGO_FILE there is no image and no /logo', async () => {
    const t = await buildTestApp({ ...testConfig(), logoFile: null })
    const home = await request(t.app.server).get('/').expect(200)
    expect(home.text).not.toContain('class="site-logo"')
    expect(home.text).toContain('Testbibliotekets kurser')
    await request(t.app.server).get('/logo').expect(404)
    await t.app.close()
  })
})
