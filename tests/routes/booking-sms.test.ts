import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CITIZEN } from '../../server/domain/actor.ts'
import { insertInbound, setNumberLandline, setNumberStopped } from '../../server/repositories/sms-repository.ts'
import { anonymiseExpired } from '../../server/services/privacy-service.ts'
import { bookingInput, bookNew, createClass, createStaff } from '../helpers/factories.ts'
import { FAKE_TOKEN, startFakeGateway } from '../helpers/fake-gateway.ts'
import { buildTestApp, createApiTokenViaForm, csrfOf, cookieOf, signedInAgent, submitBooking, type TestApp, testConfig, tokenFrom } from '../helpers/http.ts'

/**
 * The citizen's side of texts: the question on the booking forms (online, by staff on the
 * phone, through the API), the answer stored with the booking and obeyed by the outbox,
 * the private booking page that says where messages go and turns texts on and off, and
 * the answer in a person's export and gone with their other data.
 */

async function bookingOf (t: TestApp, token: string) {
  return await t.db.selectFrom('bookings').selectAll().where('token', '=', token).executeTakeFirstOrThrow()
}

async function textsOf (t: TestApp, bookingId: number) {
  return await t.db.selectFrom('outbox').select(['kind', 'channel', 'recipient', 'status']).where('booking_id', '=', bookingId).where('channel', '=', 'sms').orderBy('id').execute()
}

/** The booking page's form for texts: its CSRF token, the session cookie, and the answer it posts. */
async function openSmsForm (t: TestApp, token: string) {
  const page = await request(t.app.server).get(`/tilmelding/${token}`).expect(200)
  const answer = /name="sms_consent" value="(ja|nej)"/.exec(page.text)?.[1]
  return { page, cookie: cookieOf(page.headers['set-cookie']), csrf: csrfOf(page.text), answer }
}

describe('the question about texts on the booking form', () => {
  let t: TestApp
  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t.app.close() })

  it('asks it plainly, with what we send, that it is free and how to stop, and "Nej tak" chosen until the person says yes', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const page = await request(t.app.server).get(`/hold/${classId}`).expect(200)
    expect(page.text).toContain('Må vi sende dig en sms før kurset?')
    expect(page.text).toContain('Det er gratis. Du får en bekræftelse, en påmindelse før hver gang, besked hvis holdet bliver ændret eller aflyst, og koden til døren. Svar STOP på en sms, så stopper de.')
    expect(page.text).toMatch(/<input class="form-radio" type="radio" id="f-sms-consent" name="sms_consent" value="ja">/)
    expect(page.text).toMatch(/id="f-sms-consent-nej" name="sms_consent" value="nej" checked>/)
    expect(page.text).toContain('data-other="Må vi sende sms til deltageren og dig før kurset?"')
    expect(page.text).toContain('GatewayAPI')
  })

  it('books with a phone number only and a yes: the answer is stored and the confirmation is queued as a text to the mobile number', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const res = await submitBooking(t.app, classId, { name: 'Inger Lund', phone: '22 33 44 55', email: '', sms_consent: 'ja' })
    expect(res.status).toBe(303)
    const booking = await bookingOf(t, tokenFrom(res.headers.location))
    expect(booking.sms_consent).toBe(1)
    expect(await textsOf(t, booking.id)).toEqual([{ kind: 'booking_confirmed', channel: 'sms', recipient: '4522334455', status: 'queued' }])

    const receipt = await request(t.app.server).get(res.headers.location!).expect(200)
    expect(receipt.text).toContain('Vi sender en bekræftelse og en påmindelse, før holdet begynder: på sms til 22 33 44 55.')
    expect(receipt.text).toContain('Vi sender sms til 22 33 44 55.')
  })

  it('queues no text without a yes, and the booking page says so', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    for (const answer of [{ sms_consent: 'nej' }, {}] as Array<Record<string, string>>) {
      const res = await submitBooking(t.app, classId, { name: `Bent Madsen ${Object.keys(answer).length}`, phone: '22 33 44 56', email: '', ...answer })
      expect(res.status).toBe(303)
      const booking = await bookingOf(t, tokenFrom(res.headers.location))
      expect(booking.sms_consent).toBe(0)
      expect(await textsOf(t, booking.id)).toEqual([])
      const page = await request(t.app.server).get(res.headers.location!).expect(200)
      expect(page.text).toContain('<li>Du får ikke sms.</li>')
      expect(page.text).toContain('Du har ikke skrevet en e-mail, så vi ringer til dig')
    }
  })

  it('asks for a mobile number next to the question when the answer is yes and there is none, keeping every value', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const res = await submitBooking(t.app, classId, { name: 'Karen Holm', phone: '', email: 'karen@example.dk', sms_consent: 'ja' })
    expect(res.status).toBe(400)
    expect(res.text).toMatch(/id="f-sms-consent-error"><span class="sr-only">Fejl: <\/span>Skriv dit mobilnummer, hvis du vil have sms\./)
    expect(res.text).toContain('href="#f-sms-consent"')
    expect(res.text).toContain('aria-describedby="f-sms-consent-hint f-sms-consent-error"')
    expect(res.text).toMatch(/id="f-sms-consent" name="sms_consent" value="ja" checked aria-invalid="true">/)
    expect(res.text).toMatch(/id="f-sms-consent-nej" name="sms_consent" value="nej">/)
    expect(res.text).toContain('value="Karen Holm"')
    expect(res.text).toContain('value="karen@example.dk"')
  })

  it('takes a yes with a landline number, sends it no text, and says on the receipt that we phone instead', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const res = await submitBooking(t.app, classId, { name: 'Poul Holm', phone: '75 61 22 33', email: '', sms_consent: 'ja' })
    expect(res.status).toBe(303)
    const booking = await bookingOf(t, tokenFrom(res.headers.location))
    expect(booking.sms_consent).toBe(1)
    expect(await textsOf(t, booking.id)).toEqual([])
    const receipt = await request(t.app.server).get(res.headers.location!).expect(200)
    expect(receipt.text).toContain('75 61 22 33 ser ud til at være en fastnettelefon, så den kan ikke få sms. Vi ringer til dig i stedet, før holdet begynder.')
    expect(receipt.text).toContain('75 61 22 33 ser ud til at være en fastnettelefon. Den kan ikke få sms, så vi ringer i stedet.')
    // Nothing to turn on or off: a landline cannot take a text.
    expect(receipt.text).not.toContain('action="/tilmelding/')
  })

  it('covers both numbers when someone books for another, and the booker\'s alone will do', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const both = await submitBooking(t.app, classId, { name: 'Ruth Holm', phone: '40 11 22 33', email: '', for_someone_else: 'ja', booker_name: 'Lone Holm', booker_phone: '50 11 22 33', sms_consent: 'ja' })
    expect(both.status).toBe(303)
    const booking = await bookingOf(t, tokenFrom(both.headers.location))
    expect((await textsOf(t, booking.id)).map(r => r.recipient)).toEqual(['4540112233', '4550112233'])
    const page = await request(t.app.server).get(both.headers.location!).expect(200)
    expect(page.text).toContain('Vi sender sms til 40 11 22 33 og 50 11 22 33.')

    const none = await submitBooking(t.app, classId, { name: 'Aase Holm', phone: '', email: '', for_someone_else: 'ja', booker_name: 'Lone Holm', booker_email: 'lone@example.dk', sms_consent: 'ja' })
    expect(none.status).toBe(400)
    expect(none.text).toContain('Skriv deltagerens eller dit eget mobilnummer, hvis I vil have sms.')
    // Re-shown for someone else: the question names both.
    expect(none.text).toMatch(/data-other="Må vi sende sms til deltageren og dig før kurset\?">Må vi sende sms til deltageren og dig før kurset\?</)
  })

  it('sends the text through the gateway with the door code, to the number that said yes', async () => {
    const gateway = await startFakeGateway()
    const app = await buildTestApp({ sms: { ...testConfig().sms, provider: 'gatewayapi', apiUrl: gateway.url, apiToken: FAKE_TOKEN, quietHours: null } })
    try {
      const classId = await createClass(app.db, { meetings: ['2030-03-05T10:00'] })
      const res = await submitBooking(app.app, classId, { name: 'Inger Lund', phone: '22 33 44 55', email: '', sms_consent: 'ja' })
      const booking = await bookingOf(app, tokenFrom(res.headers.location))
      await app.app.mail.worker.runOnce()
      const [text] = await gateway.waitForSent(1)
      expect(text?.msisdn).toBe('4522334455')
      expect(text?.message.replace(/\s/g, '')).toContain(booking.checkin_code)
      expect(gateway.sent).toHaveLength(1)
    } finally {
      await gateway.close()
    }
  })
})

describe('the question when staff book by phone, and when they move a booking', () => {
  it('asks staff to ask the citizen, stores the answer, and keeps it when the booking moves to another class', async () => {
    const t = await buildTestApp()
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const from = await createClass(t.db, { meetings: ['2030-08-01T10:00'] })
    const to = await createClass(t.db, { meetings: ['2030-08-08T10:00'] })
    const form = await agent.get(`/personale/hold/${from}/tilmeld`).expect(200)
    expect(form.text).toContain('Må vi sende sms? <span class="weight-normal">(spørg borgeren)</span>')
    expect(form.text).toContain('Læs op:')

    const missing = await agent.post(`/personale/hold/${from}/tilmeld`).type('form').send({ _csrf: csrfOf(form.text), name: 'Else Berg', email: 'else@example.dk', sms_consent: 'ja' })
    expect(missing.status).toBe(400)
    expect(missing.text).toContain('Skriv dit mobilnummer, hvis du vil have sms.')

    const ok = await agent.post(`/personale/hold/${from}/tilmeld`).type('form').send({ _csrf: csrfOf(form.text), name: 'Else Berg', phone: '60 70 80 90', sms_consent: 'ja' })
    expect(ok.status).toBe(303)
    const booking = await t.db.selectFrom('bookings').selectAll().where('class_id', '=', from).executeTakeFirstOrThrow()
    expect(booking).toMatchObject({ source: 'phone', sms_consent: 1 })
    expect(await textsOf(t, booking.id)).toEqual([{ kind: 'booking_confirmed', channel: 'sms', recipient: '4560708090', status: 'queued' }])
    const staffPage = await agent.get(`/personale/tilmeldinger/${booking.id}`).expect(200)
    expect(staffPage.text).toContain('<dt>Sms</dt><dd>Ja, må få sms</dd>')

    const moved = await agent.post(`/personale/tilmeldinger/${booking.id}/flyt`).type('form').send({ _csrf: csrfOf(staffPage.text), target: String(to) })
    expect(moved.status).toBe(303)
    const after = await t.db.selectFrom('bookings').selectAll().where('class_id', '=', to).executeTakeFirstOrThrow()
    expect(after).toMatchObject({ moved_from_booking_id: booking.id, sms_consent: 1 })
    expect(await textsOf(t, after.id)).toEqual([{ kind: 'booking_confirmed', channel: 'sms', recipient: '4560708090', status: 'queued' }])
  })
})

describe('the question through the API', () => {
  it('takes smsConsent when booking and returns it with the bookings; yes without a phone is a 422 naming the field', async () => {
    const t = await buildTestApp()
    const admin = await signedInAgent(t.app, await createStaff(t.db, 'admin'))
    const token = await createApiTokenViaForm(admin, { name: 'Hjemmeside', scopes: ['bookings:read', 'bookings:write'] })
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const api = (path: string) => request(t.app.server).post(path).set('authorization', `Bearer ${token}`)

    const refused = await api(`/api/v1/classes/${classId}/bookings`).send({ name: 'Hans Holm', email: 'hans@example.dk', smsConsent: true })
    expect(refused.status).toBe(422)
    expect(refused.body.error.details).toEqual({ sms_consent: 'Skriv dit mobilnummer, hvis du vil have sms.' })

    expect((await api(`/api/v1/classes/${classId}/bookings`).send({ name: 'Hans Holm', phone: '20 30 40 50', smsConsent: true })).status).toBe(201)
    expect((await api(`/api/v1/classes/${classId}/bookings`).send({ name: 'Lis Holm', phone: '20 30 40 51' })).status).toBe(201)
    const list = await request(t.app.server).get(`/api/v1/classes/${classId}/bookings`).set('authorization', `Bearer ${token}`).expect(200)
    expect(list.body.bookings.map((b: { name: string, smsConsent: boolean }) => [b.name, b.smsConsent])).toEqual([['Hans Holm', true], ['Lis Holm', false]])
    expect((await t.db.selectFrom('outbox').select('recipient').where('channel', '=', 'sms').execute()).map(r => r.recipient)).toEqual(['4520304050'])
  })
})

describe('the booking page: where messages go, and texts on or off', () => {
  let t: TestApp
  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t.app.close() })

  it('says where messages go, turns texts off (withdrawing those waiting) and on again, with the private link and its form only', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const res = await submitBooking(t.app, classId, { name: 'Grethe Hansen', phone: '22 44 66 88', email: 'grethe@example.dk', sms_consent: 'ja' })
    const token = tokenFrom(res.headers.location)
    const booking = await bookingOf(t, token)

    const on = await openSmsForm(t, token)
    expect(on.page.text).toContain('<li>Vi sender e-mail til grethe@example.dk.</li>')
    expect(on.page.text).toContain('<li>Vi sender sms til 22 44 66 88.</li>')
    expect(on.answer).toBe('nej')
    expect(on.page.text).toContain('Send ikke flere sms om holdet')

    // A stale form changes nothing and says so.
    const stale = await request(t.app.server).post(`/tilmelding/${token}/sms`).set('cookie', on.cookie).type('form').send({ _csrf: 'forkert', sms_consent: 'nej' })
    expect(stale.status).toBe(403)
    expect(stale.text).toContain('Siden har været åben for længe, så vi har ikke gemt noget.')
    expect((await bookingOf(t, token)).sms_consent).toBe(1)

    const off = await request(t.app.server).post(`/tilmelding/${token}/sms`).set('cookie', on.cookie).type('form').send({ _csrf: on.csrf, sms_consent: 'nej' })
    expect(off.status).toBe(303)
    expect(off.headers.location).toBe(`/tilmelding/${token}?sms=gemt#sms`)
    expect((await bookingOf(t, token)).sms_consent).toBe(0)
    expect(await textsOf(t, booking.id)).toEqual([{ kind: 'booking_confirmed', channel: 'sms', recipient: '4522446688', status: 'withdrawn' }])
    // The e-mail still goes.
    expect(await t.db.selectFrom('outbox').select('status').where('booking_id', '=', booking.id).where('channel', '=', 'email').execute()).toEqual([{ status: 'queued' }])
    const saved = await request(t.app.server).get(`/tilmelding/${token}?sms=gemt`).expect(200)
    expect(saved.text).toContain('Gemt. Du får ikke flere sms om holdet.')
    expect(saved.text).toContain('<li>Du får ikke sms.</li>')

    const offForm = await openSmsForm(t, token)
    expect(offForm.answer).toBe('ja')
    await request(t.app.server).post(`/tilmelding/${token}/sms`).set('cookie', offForm.cookie).type('form').send({ _csrf: offForm.csrf, sms_consent: 'ja' }).expect(303)
    expect((await bookingOf(t, token)).sms_consent).toBe(1)
    expect((await request(t.app.server).get(`/tilmelding/${token}?sms=gemt`)).text).toContain('Gemt. Du får sms om holdet.')

    // An answer that is neither changes nothing; an unknown link is not found.
    await request(t.app.server).post(`/tilmelding/${token}/sms`).set('cookie', offForm.cookie).type('form').send({ _csrf: offForm.csrf, sms_consent: 'måske' }).expect(303)
    expect((await bookingOf(t, token)).sms_consent).toBe(1)
    await request(t.app.server).post(`/tilmelding/${'x'.repeat(32)}/sms`).set('cookie', offForm.cookie).type('form').send({ _csrf: offForm.csrf, sms_consent: 'nej' }).expect(404)
  })

  it('says when the number answered STOP, or staff marked it as a landline, and offers nothing on a cancelled booking', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const stopped = await submitBooking(t.app, classId, { name: 'Hanne Olsen', phone: '30 40 50 60', email: '', sms_consent: 'ja' })
    await setNumberStopped(t.db, '4530405060', true, new Date().toISOString())
    const page = await request(t.app.server).get(`/tilmelding/${tokenFrom(stopped.headers.location)}`).expect(200)
    expect(page.text).toContain('Du har svaret STOP. Skriv START til os, hvis du vil have sms igen.')
    expect(page.text).toContain('<li>Du får ikke sms.</li>')

    const marked = await submitBooking(t.app, classId, { name: 'Erik Møller', phone: '30 40 50 61', email: '', sms_consent: 'ja' })
    await setNumberLandline(t.db, '4530405061', true, new Date().toISOString())
    expect((await request(t.app.server).get(`/tilmelding/${tokenFrom(marked.headers.location)}`)).text).toContain('30 40 50 61 ser ud til at være en fastnettelefon.')

    const gone = await submitBooking(t.app, classId, { name: 'Svend Lund', phone: '30 40 50 62', email: '', sms_consent: 'ja' })
    const goneToken = tokenFrom(gone.headers.location)
    const form = await openSmsForm(t, goneToken)
    const cancelPage = await request(t.app.server).get(`/tilmelding/${goneToken}/afmeld`).set('cookie', form.cookie)
    await request(t.app.server).post(`/tilmelding/${goneToken}/afmeld`).set('cookie', form.cookie).type('form').send({ _csrf: csrfOf(cancelPage.text) }).expect(303)
    const after = await request(t.app.server).get(`/tilmelding/${goneToken}`).expect(200)
    expect(after.text).not.toContain('Sådan får du besked')
    await request(t.app.server).post(`/tilmelding/${goneToken}/sms`).set('cookie', form.cookie).type('form').send({ _csrf: form.csrf, sms_consent: 'nej' }).expect(303)
    expect((await bookingOf(t, goneToken)).sms_consent).toBe(1)
  })
})

describe('the answer in a person\'s own data, and gone with it', () => {
  it('is in the export with the texts sent and received; anonymising takes the texts and the number\'s STOP mark when nobody else uses it', async () => {
    const t = await buildTestApp()
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const own = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Bodil Krog', phone: '+4571717171', smsConsent: true }), { source: 'online', now: new Date('2029-01-01T10:00:00Z') })
    const shared = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Arne Krog', phone: '+4581818181', smsConsent: true }), { source: 'online', now: new Date('2029-01-01T10:00:00Z') })
    const later = await createClass(t.db, { meetings: ['2031-03-05T10:00'] })
    // Arne's wife Aase books later with the same number: that number stays in use.
    await bookNew(t.db, CITIZEN, later, bookingInput({ name: 'Aase Krog', phone: '+4581818181', smsConsent: true }), { source: 'online', now: new Date('2029-01-01T10:00:00Z') })
    const bodil = await bookingOf(t, own.token)
    const arne = await bookingOf(t, shared.token)
    const at = '2029-02-01T10:00:00.000Z'
    await insertInbound(t.db, { provider_id: '1', msisdn: '4571717171', message: 'Jeg kommer lidt senere', kind: 'reply', received_at: at, booking_id: bodil.id })
    await insertInbound(t.db, { provider_id: '2', msisdn: '4571717171', message: 'Hej igen', kind: 'reply', received_at: at, booking_id: null })
    await insertInbound(t.db, { provider_id: '3', msisdn: '4581818181', message: 'STOP', kind: 'stop', received_at: at, booking_id: arne.id })
    await setNumberStopped(t.db, '4571717171', true, at)
    await setNumberStopped(t.db, '4581818181', true, at)

    const admin = await signedInAgent(t.app, await createStaff(t.db, 'admin'))
    const json = await admin.get(`/personale/deltagere/${bodil.participant_id}/eksport.json`).expect(200)
    const data = JSON.parse(json.text) as { bookings: Array<{ smsConsent: boolean, emails: unknown[], texts: Array<{ to: string, status: string }>, textsReceived: Array<{ text: string, from: string }> }> }
    expect(data.bookings).toHaveLength(1)
    expect(data.bookings[0]).toMatchObject({ smsConsent: true, emails: [], texts: [{ to: '4571717171', status: 'queued' }], textsReceived: [{ text: 'Jeg kommer lidt senere', from: '4571717171' }] })
    const html = await admin.get(`/personale/deltagere/${bodil.participant_id}/eksport`).expect(200)
    expect(html.text).toContain('<dt>Må få sms</dt><dd>Ja</dd>')
    expect(html.text).toContain('«Jeg kommer lidt senere» (fra +4571717171')

    // The first class ended long ago; the later one is still to come.
    const done = await anonymiseExpired(t.db, 12, new Date('2031-06-01T10:00:00Z'))
    expect(done.participants).toBe(2)
    expect(await t.db.selectFrom('sms_inbound').select('message').orderBy('id').execute()).toEqual([])
    expect(await t.db.selectFrom('outbox').select('recipient').where('booking_id', 'in', [bodil.id, arne.id]).execute()).toEqual([])
    // Bodil's number is used by nobody now: its STOP mark goes. Aase still uses Arne's.
    expect(await t.db.selectFrom('sms_numbers').select('msisdn').execute()).toEqual([{ msisdn: '4581818181' }])
  })
})
