import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../server/db/connection.ts'
import { CITIZEN } from '../../server/domain/actor.ts'
import { cancelBooking } from '../../server/services/booking-service.ts'
import { bookingInput, bookNew, createClass, createStaff } from '../helpers/factories.ts'
import { buildTestApp, cookieOf, csrfOf, signedInAgent, type TestApp } from '../helpers/http.ts'

const COURSE_TITLE = 'Kom godt i gang med MitID'

/**
 * The offer page (/tilbud/:token), the booking page's link to it, and the staff pages
 * that show each offer and let staff answer for the citizen on the phone.
 */

/** A one-seat class in 'offer' mode: the seat is freed and offered to Grethe, with Hans next in line. */
async function offeredSeat (db: Db) {
  const classId = await createClass(db, { capacity: 1, meetings: ['2030-03-05T10:00'] })
  await db.updateTable('classes').set({ waitlist_mode: 'offer' }).where('id', '=', classId).execute()
  const seat = await bookNew(db, CITIZEN, classId, bookingInput({ name: 'Karen Seat', email: 'karen@example.dk' }), { source: 'online' })
  const grethe = await bookNew(db, CITIZEN, classId, bookingInput({ name: 'Grethe Venter', email: 'grethe@example.dk' }), { source: 'online' })
  const hans = await bookNew(db, CITIZEN, classId, bookingInput({ name: 'Hans Næste', email: 'hans@example.dk' }), { source: 'online' })
  await cancelBooking(db, CITIZEN, seat.token, 'participant')
  const offer = await db.selectFrom('seat_offers').selectAll().where('class_id', '=', classId).executeTakeFirstOrThrow()
  return { classId, offer, grethe, hans }
}

const statusOf = async (db: Db, token: string) => (await db.selectFrom('bookings').select('status').where('token', '=', token).executeTakeFirstOrThrow()).status

async function openOfferForm (t: TestApp, token: string) {
  const page = await request(t.app.server).get(`/tilbud/${token}`).expect(200)
  return { page, cookie: cookieOf(page.headers['set-cookie']), csrf: csrfOf(page.text) }
}

describe('the offer page', () => {
  let t: TestApp
  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t.app.close() })

  it('asks plainly, with the deadline and two buttons in a form with CSRF, and gives the seat on "Ja, jeg kommer"', async () => {
    const { offer, grethe } = await offeredSeat(t.db)
    const { page, cookie, csrf } = await openOfferForm(t, offer.token)
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.text).toContain('Der er en plads til dig')
    expect(page.text).toContain(COURSE_TITLE)
    expect(page.text).toMatch(/Svar inden \S+dag \d+\. \S+ (\d{4} )?kl\. \d\d\.\d\d\./)
    expect(page.text).toContain('<button type="submit" name="svar" value="ja" class="button button-primary">Ja, jeg kommer</button>')
    expect(page.text).toContain('<button type="submit" name="svar" value="nej" class="button button-secondary">Nej tak</button>')

    // The booking page shows the open offer and links to it.
    const bookingPage = await request(t.app.server).get(`/tilmelding/${grethe.token}`).expect(200)
    expect(bookingPage.text).toContain(`href="/tilbud/${offer.token}"`)

    const answer = await request(t.app.server).post(`/tilbud/${offer.token}`).set('cookie', cookie).type('form').send({ _csrf: csrf, svar: 'ja' }).expect(303)
    expect(answer.headers.location).toBe(`/tilbud/${offer.token}?svar=ja`)
    expect(await statusOf(t.db, grethe.token)).toBe('confirmed')
    const after = await request(t.app.server).get(answer.headers.location!).expect(200)
    expect(after.text).toContain('Du har fået pladsen')
    expect(after.text).toContain(`href="/tilmelding/${grethe.token}"`)

    // The same form sent again (a double tap): nothing changes, and the page says so.
    const again = await request(t.app.server).post(`/tilbud/${offer.token}`).set('cookie', cookie).type('form').send({ _csrf: csrf, svar: 'nej' }).expect(303)
    expect(again.headers.location).toBe(`/tilbud/${offer.token}?svar=allerede`)
    expect((await request(t.app.server).get(again.headers.location!).expect(200)).text).toContain('Du havde allerede svaret')
    expect(await statusOf(t.db, grethe.token)).toBe('confirmed')
  })

  it('takes "Nej tak" as no, and the next in line is offered the seat', async () => {
    const { classId, offer, grethe, hans } = await offeredSeat(t.db)
    const { cookie, csrf } = await openOfferForm(t, offer.token)
    await request(t.app.server).post(`/tilbud/${offer.token}`).set('cookie', cookie).type('form').send({ _csrf: csrf, svar: 'nej' }).expect(303)
    expect(await statusOf(t.db, grethe.token)).toBe('cancelled')
    expect((await request(t.app.server).get(`/tilbud/${offer.token}`).expect(200)).text).toContain('Du har sagt nej tak')
    const hansId = (await t.db.selectFrom('bookings').select('id').where('token', '=', hans.token).executeTakeFirstOrThrow()).id
    const offers = await t.db.selectFrom('seat_offers').select(['booking_id', 'state']).where('class_id', '=', classId).orderBy('id').execute()
    expect(offers.at(-1)).toEqual({ booking_id: hansId, state: 'open' })
  })

  it('refuses an answer without a valid CSRF token and changes nothing', async () => {
    const { offer, grethe } = await offeredSeat(t.db)
    const { cookie } = await openOfferForm(t, offer.token)
    const res = await request(t.app.server).post(`/tilbud/${offer.token}`).set('cookie', cookie).type('form').send({ _csrf: 'forged', svar: 'ja' }).expect(403)
    expect(res.text).toContain('Siden har været åben for længe')
    expect(await statusOf(t.db, grethe.token)).toBe('waitlisted')
  })

  it('tells a stranger with a wrong token nothing', async () => {
    const { offer } = await offeredSeat(t.db)
    const wrong = offer.token.slice(0, -4) + (offer.token.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    for (const path of [`/tilbud/${wrong}`, '/tilbud/kort', `/tilbud/${'x'.repeat(80)}`]) {
      const res = await request(t.app.server).get(path).expect(404)
      expect(res.text).not.toContain(COURSE_TITLE)
      expect(res.text).not.toContain('Grethe')
    }
    await request(t.app.server).post(`/tilbud/${wrong}`).type('form').send({ svar: 'ja' }).expect(404)
  })

  it('answers kindly after the deadline', async () => {
    const { offer, grethe } = await offeredSeat(t.db)
    const { cookie, csrf } = await openOfferForm(t, offer.token)
    await t.db.updateTable('seat_offers').set({ deadline: new Date(Date.now() - 60_000).toISOString() }).where('id', '=', offer.id).execute()
    const res = await request(t.app.server).post(`/tilbud/${offer.token}`).set('cookie', cookie).type('form').send({ _csrf: csrf, svar: 'ja' }).expect(303)
    const page = await request(t.app.server).get(res.headers.location!).expect(200)
    expect(page.text).toContain('Fristen er gået')
    expect(page.text).toContain('står stadig på ventelisten')
    expect(await statusOf(t.db, grethe.token)).toBe('waitlisted')
  })
})

describe('staff and offers', () => {
  let t: TestApp
  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t.app.close() })

  it('shows each offer on the call-down list and the class page, and answers for the citizen on the phone', async () => {
    const { classId, offer, grethe } = await offeredSeat(t.db)
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const list = await agent.get(`/personale/hold/${classId}/venteliste`).expect(200)
    expect(list.text).toContain('Tilbud: Tilbudt plads, frist ')
    expect(list.text).toContain(`action="/personale/tilbud/${offer.id}/svar"`)
    expect((await agent.get(`/personale/hold/${classId}`).expect(200)).text).toContain('Tilbudt plads, frist ')

    const res = await agent.post(`/personale/tilbud/${offer.id}/svar`).type('form').send({ _csrf: csrfOf(list.text), svar: 'ja' }).expect(303)
    expect(res.headers.location).toBe(`/personale/hold/${classId}/venteliste?besked=tilbud_ja`)
    expect(await statusOf(t.db, grethe.token)).toBe('confirmed')
    const classPage = await agent.get(`/personale/hold/${classId}`).expect(200)
    expect(classPage.text).toContain('Sagt ja ')
    expect(classPage.text).toContain('(telefon)')
    const audit = await t.db.selectFrom('audit_log').select('action').where('action', '=', 'seat_offer_accepted').execute()
    expect(audit).toHaveLength(1)
  })
})
