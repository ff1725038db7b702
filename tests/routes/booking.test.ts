import ICAL from 'ical.js'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cancelClass } from '../../server/services/class-service.ts'
import { subscribeToCourse } from '../../server/services/interest-service.ts'
import { countBookings, createClass } from '../helpers/factories.ts'
import { buildTestApp, openBookingForm, submitBooking, type TestApp, tokenFrom } from '../helpers/http.ts'
import { SYSTEM } from '../../server/domain/actor.ts'

describe('booking a seat', () => {
  let t: TestApp
  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t.app.close() })

  it('books a seat and shows a private confirmation page', async () => {
    const classId = await createClass(t.db, { capacity: 3, meetings: ['2030-03-05T10:00'] })
    const res = await submitBooking(t.app, classId, {
      name: 'Søren Ærø',
      phone: '+45 12 34 56 78',
      email: 'Soren@Example.dk',
      birth_year: '1946',
      needs_hearing_loop: '1',
      needs_other: 'Jeg kommer med rollator'
    })
    expect(res.status).toBe(303)
    expect(res.headers.location).toMatch(/^\/tilmelding\/[A-Za-z0-9_-]{32}\?ny=1$/)
    const page = await request(t.app.server).get(res.headers.location!).expect(200)
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.headers['x-robots-tag']).toContain('noindex')
    expect(page.text).toContain('Tak! Du har en plads')
    expect(page.text).toContain('Søren Ærø')
    expect(page.text).toContain('12 34 56 78')
    expect(page.text).toContain('soren@example.dk')
    expect(page.text).toContain('Har brug for teleslynge')
    expect(page.text).toContain('Tirsdag 5. marts 2030 kl. 10.00–12.00')
    expect(page.text).toContain(`http://kurser.test/tilmelding/${tokenFrom(res.headers.location)}`)
    expect(page.text).toContain('Tilføj til kalenderen')
    expect(page.text).toContain('>Afmeld</a>')

    const row = await t.db.selectFrom('bookings').innerJoin('participants', 'participants.id', 'bookings.participant_id')
      .selectAll().where('bookings.token', '=', tokenFrom(res.headers.location)).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ status: 'confirmed', source: 'online', phone: '+4512345678', email: 'soren@example.dk', birth_year: 1946, needs_hearing_loop: 1, needs_companion: 0 })
  })

  it('takes the longest e-mail address the form accepts, on either database, with its e-mails and an interest sign-up', async () => {
    const classId = await createClass(t.db, { capacity: 3, meetings: ['2030-03-05T10:00'] })
    const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.dk`
    expect(email).toHaveLength(253)
    const res = await submitBooking(t.app, classId, { name: 'Grethe Hansen', phone: '', email })
    expect(res.status).toBe(303)
    expect(await t.db.selectFrom('outbox').select('kind').where('recipient', '=', email).execute()).toEqual([{ kind: 'booking_confirmed' }])
    await subscribeToCourse(t.db, 'mitid-kom-godt-i-gang', email)
    expect(await t.db.selectFrom('interest_subscriptions').select('email').where('email', '=', email).execute()).toHaveLength(1)
  })

  it('keeps every value and shows Danish messages next to the fields when input is wrong', async () => {
    const classId = await createClass(t.db, { capacity: 3, meetings: ['2030-03-05T10:00'] })
    const res = await submitBooking(t.app, classId, { name: '', phone: '1234', email: 'grethe@', birth_year: 'nitten', needs_other: 'Ledsager "Bo" <b>', needs_companion: '1' })
    expect(res.status).toBe(400)
    expect(res.text).toContain('Der er 4 ting, du skal rette')
    expect(res.text).toMatch(/id="f-name-error"><span class="sr-only">Fejl: <\/span>Skriv dit navn\./)
    expect(res.text).toMatch(/id="f-phone-error">.*Skriv 8 cifre/)
    expect(res.text).toMatch(/id="f-email-error">.*navn@eksempel\.dk/)
    expect(res.text).toMatch(/id="f-birth-year-error">.*4 cifre/)
    expect(res.text).toContain('value="1234"')
    expect(res.text).toContain('value="grethe@"')
    expect(res.text).toContain('value="nitten"')
    expect(res.text).toContain('Ledsager &quot;Bo&quot; &lt;b&gt;</textarea>')
    expect(res.text).toMatch(/id="f-needs-companion" name="needs_companion" value="1" checked/)
    expect(res.text).toContain('aria-invalid="true"')
    expect(res.text).toContain('href="#f-phone"')
    expect(await countBookings(t.db, classId)).toBe(0)
  })

  it('asks for a phone number or an e-mail', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const res = await submitBooking(t.app, classId, { name: 'Bent Madsen', phone: '', email: '' })
    expect(res.status).toBe(400)
    expect(res.text).toContain('Skriv dit telefonnummer eller din e-mailadresse')
    expect(res.text).toContain('value="Bent Madsen"')
  })

  it('lets a relative book for someone without phone or e-mail', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const res = await submitBooking(t.app, classId, { name: 'Ruth Holm', phone: '', birth_year: '', booker_name: 'Lone Holm', booker_phone: '87 65 43 21' })
    expect(res.status).toBe(303)
    const page = await request(t.app.server).get(res.headers.location!).expect(200)
    expect(page.text).toContain('Tilmeldt af')
    expect(page.text).toContain('Lone Holm, 87 65 43 21')
  })

  it('makes no second booking when the same person submits again, and shows a calm page without the booking', async () => {
    const classId = await createClass(t.db, { capacity: 5, meetings: ['2030-03-05T10:00'] })
    const first = await submitBooking(t.app, classId, { name: 'Kirsten Lund', phone: '22334455' })
    const again = await submitBooking(t.app, classId, { name: 'kirsten lund', phone: '+45 22 33 44 55' })
    expect(again.status).toBe(200)
    expect(again.text).toContain('Du er allerede tilmeldt')
    expect(again.text).not.toContain(tokenFrom(first.headers.location))
    expect(await countBookings(t.db, classId)).toBe(1)
  })

  it('puts people on a numbered waiting list when the class is full', async () => {
    const classId = await createClass(t.db, { capacity: 1, meetings: ['2030-03-05T10:00'] })
    await submitBooking(t.app, classId, { name: 'Først', phone: '11111111' })
    const second = await submitBooking(t.app, classId, { name: 'Anden', phone: '22222222' })
    const third = await submitBooking(t.app, classId, { name: 'Tredje', phone: '33333333' })
    const page2 = await request(t.app.server).get(second.headers.location!).expect(200)
    expect(page2.text).toContain('Du er på ventelisten')
    expect(page2.text).toContain('<strong class="waitlist-number">1</strong>')
    const page3 = await request(t.app.server).get(third.headers.location!).expect(200)
    expect(page3.text).toContain('<strong class="waitlist-number">2</strong>')
  })

  it('cancels with a confirmation step, and the first on the waiting list gets the seat at once', async () => {
    const classId = await createClass(t.db, { capacity: 1, meetings: ['2030-03-05T10:00'] })
    const seat = await submitBooking(t.app, classId, { name: 'Hanne Olsen', phone: '44444444' })
    const waiting = await submitBooking(t.app, classId, { name: 'Poul Thomsen', phone: '55555555' })
    const seatToken = tokenFrom(seat.headers.location)

    const confirm = await request(t.app.server).get(`/tilmelding/${seatToken}/afmeld`).expect(200)
    expect(confirm.text).toContain('Vil du afmelde dig?')
    expect(confirm.text).toContain('Ja, afmeld mig')
    // Just opening the confirmation page changes nothing.
    expect((await request(t.app.server).get(seat.headers.location!)).text).toContain('Du har en plads')

    const csrf = /name="_csrf" value="([^"]+)"/.exec(confirm.text)?.[1] ?? ''
    const cookie = (confirm.headers['set-cookie'] as unknown as string[]).map(c => c.split(';')[0]).join('; ')
    const done = await request(t.app.server).post(`/tilmelding/${seatToken}/afmeld`).set('cookie', cookie).type('form').send({ _csrf: csrf })
    expect(done.status).toBe(303)
    expect(done.headers.location).toBe(`/tilmelding/${seatToken}?afmeldt=1`)
    const after = await request(t.app.server).get(done.headers.location ?? '').expect(200)
    expect(after.text).toContain('Du er nu afmeldt')
    expect(after.text).not.toContain('>Afmeld</a>')

    const promoted = await request(t.app.server).get(waiting.headers.location!.replace(/\?.*/, '')).expect(200)
    expect(promoted.text).toContain('Du har en plads')

    // Posting the cancel again is harmless.
    const twice = await request(t.app.server).post(`/tilmelding/${seatToken}/afmeld`).set('cookie', cookie).type('form').send({ _csrf: csrf })
    expect(twice.status).toBe(303)
  })

  it('refuses a post without a valid CSRF token but keeps what was typed', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const res = await request(t.app.server).post(`/hold/${classId}/tilmeld`).type('form').send({ name: 'Erik Møller', phone: '12345678' })
    expect(res.status).toBe(403)
    expect(res.text).toContain('Siden har været åben for længe')
    expect(res.text).toContain('value="Erik Møller"')
    const { cookie } = await openBookingForm(t.app, classId)
    const wrong = await request(t.app.server).post(`/hold/${classId}/tilmeld`).set('cookie', cookie).type('form').send({ _csrf: 'forkert', name: 'Erik Møller', phone: '12345678' })
    expect(wrong.status).toBe(403)
    const cancel = await request(t.app.server).post('/tilmelding/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/afmeld').type('form').send({})
    expect(cancel.status).toBe(404)
    expect(await countBookings(t.db, classId)).toBe(0)
  })

  it('makes no booking when the hidden bot field is filled', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const res = await submitBooking(t.app, classId, { name: 'Bot', phone: '12345678', website: 'http://spam.example' })
    expect(res.status).toBe(400)
    expect(res.text).toContain('Vi kunne ikke gemme tilmeldingen')
    expect(await countBookings(t.db, classId)).toBe(0)
  })

  it('stores markup as text and never renders it as HTML', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const res = await submitBooking(t.app, classId, { name: '<script>alert(1)</script> Hansen', phone: '12121212', needs_other: '<img src=x onerror=alert(1)>' })
    expect(res.status).toBe(303)
    const page = await request(t.app.server).get(res.headers.location!).expect(200)
    expect(page.text).not.toContain('<script>alert(1)</script>')
    expect(page.text).not.toContain('<img src=x')
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Hansen')
  })

  it('never answers strange input with a 500', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const { cookie, csrf } = await openBookingForm(t.app, classId)
    const bodies = [
      'name=%00%01&phone=%E2%80%A8',
      `_csrf=${csrf}&name=${'x'.repeat(60_000)}`,
      `_csrf=${csrf}&name=a&name=b&phone[]=1`,
      `_csrf=${csrf}&name=${encodeURIComponent('فاطمة علي')}&phone=12345678&birth_year=-1`
    ]
    for (const body of bodies) {
      const res = await request(t.app.server).post(`/hold/${classId}/tilmeld`).set('cookie', cookie).type('form').send(body)
      expect(res.status, body.slice(0, 40)).toBeLessThan(500)
      expect(res.text).not.toMatch(/at .*\.ts:\d+/)
    }
    const json = await request(t.app.server).post(`/hold/${classId}/tilmeld`).set('cookie', cookie).set('content-type', 'application/json').send('{"name":')
    expect(json.status).toBeLessThan(500)
    const huge = await request(t.app.server).post(`/hold/${classId}/tilmeld`).set('cookie', cookie).type('form').send(`name=${'x'.repeat(100_000)}`)
    expect(huge.status).toBe(413)
    expect(huge.text).toContain('For meget tekst')
  })
})

describe('rate limit on booking', () => {
  it('stops many accepted bookings from one address with a Danish message, keeping what was typed', async () => {
    const t = await buildTestApp({ bookingRateLimit: 2 })
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const other = await createClass(t.db, { meetings: ['2030-03-06T10:00'] })
    expect((await submitBooking(t.app, classId, { name: 'En', phone: '10000001' })).status).toBe(303)
    expect((await submitBooking(t.app, other, { name: 'To', phone: '10000002' })).status).toBe(303)
    const third = await submitBooking(t.app, classId, { name: 'Tre Jensen', phone: '10000003' })
    expect(third.status).toBe(429)
    expect(third.text).toContain('mange tilmeldinger fra denne computer eller dette netværk')
    expect(third.text).toContain('value="Tre Jensen"')
    expect(await countBookings(t.db, classId)).toBe(1)
    await t.app.close()
  })
})

describe('booking for someone else', () => {
  let t: TestApp
  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t.app.close() })

  it('asks whom you are booking for before any contact field, without JavaScript', async () => {
    const classId = await createClass(t.db, { capacity: 3, meetings: ['2030-03-05T10:00'] })
    const page = await request(t.app.server).get(`/hold/${classId}`).expect(200)
    const form = page.text.slice(page.text.indexOf('<form method="post" action="/hold/'))
    const choice = form.indexOf('Hvem tilmelder du?')
    expect(choice).toBeGreaterThan(0)
    expect(choice).toBeLessThan(form.indexOf('id="f-name"'))
    expect(choice).toBeLessThan(form.indexOf('id="f-phone"'))
    expect(form).toMatch(/<input class="form-radio" type="radio" id="f-for-self" name="for_someone_else" value="nej" checked>/)
    expect(form).toMatch(/<input class="form-radio" type="radio" id="f-for-someone-else" name="for_someone_else" value="ja">/)
    // The participant's labels are right whoever fills them in; JavaScript only personalises them.
    expect(form).toContain('data-other="Deltagerens telefonnummer"')
  })

  it('keeps the choice and the participant\'s wording when the form comes back with an error', async () => {
    const classId = await createClass(t.db, { capacity: 3, meetings: ['2030-03-05T10:00'] })
    const res = await submitBooking(t.app, classId, { name: 'Ruth Holm', phone: '12', for_someone_else: 'ja', booker_name: 'Lone Holm', booker_phone: '87 65 43 21' })
    expect(res.status).toBe(400)
    expect(res.text).toMatch(/id="f-for-someone-else" name="for_someone_else" value="ja" checked>/)
    expect(res.text).toMatch(/<label class="form-label" for="f-phone"><span data-self="Telefonnummer" data-other="Deltagerens telefonnummer">Deltagerens telefonnummer<\/span>/)
    const ok = await submitBooking(t.app, classId, { name: 'Ruth Holm', phone: '', for_someone_else: 'ja', booker_name: 'Lone Holm', booker_phone: '87 65 43 21' })
    expect(ok.status).toBe(303)
    // "Mig selv" with nothing in the booker's fields is a booking for oneself.
    const self = await submitBooking(t.app, classId, { name: 'Inger Lund', phone: '23 45 67 89', for_someone_else: 'nej' })
    expect(self.status).toBe(303)
    const rows = await t.db.selectFrom('bookings').select(['person_name', 'booker_name']).where('class_id', '=', classId).orderBy('id').execute()
    expect(rows.map(r => r.booker_name)).toEqual(['Lone Holm', null])
  })
})

describe('a waiting-list place and a cancelled class, as the citizen sees them', () => {
  let t: TestApp
  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t.app.close() })

  const events = (ics: string) => new ICAL.Component(ICAL.parse(ics)).getAllSubcomponents('vevent')

  it('marks a waiting-list place\'s calendar events tentative and says not to come until given a seat', async () => {
    const classId = await createClass(t.db, { capacity: 1, meetings: ['2030-03-05T10:00', '2030-03-12T10:00'] })
    const seat = await submitBooking(t.app, classId, { name: 'Bent Olsen', phone: '10000001' })
    const wait = await submitBooking(t.app, classId, { name: 'Grethe Hansen', phone: '10000002' })
    const page = await request(t.app.server).get(`/tilmelding/${tokenFrom(wait.headers.location)}`).expect(200)
    expect(page.text).toContain('Du er på ventelisten')
    expect(page.text).toContain('Kom ikke til holdet, før du har fået en plads.')

    const waiting = await request(t.app.server).get(`/tilmelding/${tokenFrom(wait.headers.location)}/kalender.ics`).expect(200)
    const tentative = events(waiting.text)
    expect(tentative).toHaveLength(2)
    for (const event of tentative) {
      expect(event.getFirstPropertyValue('status')).toBe('TENTATIVE')
      expect(String(event.getFirstPropertyValue('summary'))).toMatch(/^Venteliste: Kom godt i gang med MitID/)
      expect(String(event.getFirstPropertyValue('description'))).toContain('Kom ikke til holdet, før du har fået en plads.')
    }
    // A seat is a plain, confirmed event.
    const seated = events((await request(t.app.server).get(`/tilmelding/${tokenFrom(seat.headers.location)}/kalender.ics`).expect(200)).text)
    for (const event of seated) {
      expect(event.getFirstPropertyValue('status')).toBe('CONFIRMED')
      expect(String(event.getFirstPropertyValue('summary'))).not.toContain('Venteliste')
      expect(String(event.getFirstPropertyValue('description'))).not.toContain('Kom ikke')
    }
  })

  it('says the class is cancelled when the organiser cancelled it, and that they cancelled when they did', async () => {
    const classId = await createClass(t.db, { capacity: 5, meetings: ['2030-03-05T10:00'] })
    const booked = await submitBooking(t.app, classId, { name: 'Karen Jensen', phone: '10000003' })
    const token = tokenFrom(booked.headers.location)
    await cancelClass(t.db, SYSTEM, classId)
    const page = await request(t.app.server).get(`/tilmelding/${token}`).expect(200)
    expect(page.text).toContain('<title>Holdet er aflyst')
    expect(page.text).toContain('<h1>Holdet er aflyst</h1>')
    expect(page.text).not.toContain('Tilmeldingen er afmeldt')
    expect(page.text).not.toContain('Din tilmelding er afmeldt')

    const own = await createClass(t.db, { capacity: 5, meetings: ['2030-03-05T10:00'] })
    const mine = tokenFrom((await submitBooking(t.app, own, { name: 'Poul Holm', phone: '10000004' })).headers.location)
    const agent = request.agent(t.app.server)
    const form = await agent.get(`/tilmelding/${mine}/afmeld`).expect(200)
    await agent.post(`/tilmelding/${mine}/afmeld`).type('form').send({ _csrf: /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1] }).expect(303)
    const cancelled = await request(t.app.server).get(`/tilmelding/${mine}`).expect(200)
    expect(cancelled.text).toContain('Tilmeldingen er afmeldt')
    expect(cancelled.text).not.toContain('Holdet er aflyst')
  })
})
