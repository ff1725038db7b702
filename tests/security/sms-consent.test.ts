import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClass } from '../helpers/factories.ts'
import { buildTestApp, cookieOf, csrfOf, submitBooking, type TestApp, tokenFrom } from '../helpers/http.ts'

/**
 * Texts on or off is the booking holder's alone: the private link is the key. A stranger
 * with their own booking (and so a valid form and session) tries to turn off someone
 * else's texts, which would silence the reminders and the door code before a class.
 */
describe('only the holder of a booking\'s link changes its texts', () => {
  let t: TestApp
  let victim: { token: string, id: number }
  let own: { token: string, id: number }
  let form: { cookie: string, csrf: string }

  const consentOf = async (token: string) =>
    (await t.db.selectFrom('bookings').select('sms_consent').where('token', '=', token).executeTakeFirstOrThrow()).sms_consent

  beforeAll(async () => {
    t = await buildTestApp()
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const book = async (name: string, phone: string) => {
      const res = await submitBooking(t.app, classId, { name, phone, email: '', sms_consent: 'ja' })
      const token = tokenFrom(res.headers.location)
      const row = await t.db.selectFrom('bookings').select('id').where('token', '=', token).executeTakeFirstOrThrow()
      return { token, id: row.id }
    }
    victim = await book('Grethe Hansen', '22 11 22 11')
    own = await book('Svend Svindel', '22 99 22 99')
    const page = await request(t.app.server).get(`/tilmelding/${own.token}`).expect(200)
    form = { cookie: cookieOf(page.headers['set-cookie']), csrf: csrfOf(page.text) }
  })
  afterAll(async () => { await t.app.close() })

  it('takes the booking from the link alone: another booking\'s token or id in the form changes nothing of it', async () => {
    const res = await request(t.app.server).post(`/tilmelding/${own.token}/sms`).set('cookie', form.cookie).type('form')
      .send({ _csrf: form.csrf, sms_consent: 'nej', token: victim.token, booking_id: String(victim.id), id: String(victim.id) })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe(`/tilmelding/${own.token}?sms=gemt#sms`)
    expect(await consentOf(own.token)).toBe(0)
    expect(await consentOf(victim.token)).toBe(1)
    // The victim's queued text is still there.
    const texts = await t.db.selectFrom('outbox').select('status').where('booking_id', '=', victim.id).where('channel', '=', 'sms').execute()
    expect(texts).toEqual([{ status: 'queued' }])
  })

  it('finds nothing at a guessed address: a booking id, a token one letter off, or a token-shaped guess', async () => {
    const oneOff = victim.token.slice(0, -1) + (victim.token.endsWith('A') ? 'B' : 'A')
    for (const guess of [String(victim.id), oneOff, 'A'.repeat(32), `${victim.token}x`, victim.token.toLowerCase() === victim.token ? victim.token.toUpperCase() : victim.token.toLowerCase()]) {
      const res = await request(t.app.server).post(`/tilmelding/${encodeURIComponent(guess)}/sms`).set('cookie', form.cookie).type('form').send({ _csrf: form.csrf, sms_consent: 'nej' })
      expect(res.status, guess).toBe(404)
      expect(res.text).not.toContain('Grethe')
      expect(res.text).not.toContain('22 11 22 11')
    }
    expect(await consentOf(victim.token)).toBe(1)
  })

  it('refuses a post from another site, without the session\'s form token, with the victim\'s link', async () => {
    // A page elsewhere that knows the link cannot post for the holder: no CSRF token.
    const res = await request(t.app.server).post(`/tilmelding/${victim.token}/sms`).type('form').send({ sms_consent: 'nej' })
    expect(res.status).toBe(403)
    const withOthers = await request(t.app.server).post(`/tilmelding/${victim.token}/sms`).type('form').send({ _csrf: form.csrf, sms_consent: 'nej' })
    expect(withOthers.status).toBe(403)
    expect(await consentOf(victim.token)).toBe(1)
  })

  it('shows the holder\'s own numbers only', async () => {
    const page = await request(t.app.server).get(`/tilmelding/${own.token}`).expect(200)
    expect(page.text).toContain('22 99 22 99')
    expect(page.text).not.toContain('22 11 22 11')
    expect(page.text).not.toContain(victim.token)
  })
})
