import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createApiToken } from '../../server/services/api-token-service.ts'
import { bookSeat } from '../../server/services/booking-service.ts'
import { classFacts, notifyClassChanged } from '../../server/services/notification-service.ts'
import { getCallList, queueDueReminders } from '../../server/services/reminder-service.ts'
import { bookingInput, bookNew, countBookings, createClass, createStaff, staffIdOf, asStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, openBookingForm, signedInAgent, submitBooking, type TestApp, tokenFrom, validBooking } from '../helpers/http.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

/**
 * Issue 14, items 1, 2 and 5: a booking belongs to its citizen. Each test is an attack or
 * a careless use through the real app, as a stranger with a name and a phone number would
 * try it.
 */

async function outboxOf (t: TestApp) {
  return await t.db.selectFrom('outbox').select(['kind', 'recipient', 'booking_id']).orderBy('id').execute()
}

describe('a duplicate booking never hands out someone else\'s booking (item 1)', () => {
  let t: TestApp
  beforeEach(async () => { t = await buildTestApp() })
  afterEach(async () => { await t.app.close() })

  it('answers a stranger with a known name and phone with a calm page, and no token, link, status or detail', async () => {
    const classId = await createClass(t.db, { capacity: 1, meetings: ['2030-03-05T10:00'] })
    const own = await submitBooking(t.app, classId, { name: 'Grethe Hansen', phone: '12 34 56 78', email: 'grethe@example.dk', needs_other: 'Kommer med rollator', birth_year: '1941' })
    const token = tokenFrom(own.headers.location)

    const stranger = await submitBooking(t.app, classId, { name: 'grethe hansen', phone: '+45 12345678', email: 'svindler@example.com', birth_year: '' })
    expect(stranger.status).toBe(200)
    expect(stranger.headers.location).toBeUndefined()
    expect(stranger.text).toContain('Du er allerede tilmeldt')
    for (const secret of [token, 'grethe@example.dk', 'rollator', '1941', '12 34 56 78', '/tilmelding/', 'venteliste', 'Afmeld']) {
      expect(stranger.text).not.toContain(secret)
    }
    expect(await countBookings(t.db, classId)).toBe(1)
  })

  it('does not hand out a booking found through the booker\'s phone either', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const own = await submitBooking(t.app, classId, { name: 'Ruth Holm', phone: '', birth_year: '', for_someone_else: '1', booker_name: 'Lone Holm', booker_phone: '87 65 43 21' })
    const token = tokenFrom(own.headers.location)
    const stranger = await submitBooking(t.app, classId, { name: 'Ruth Holm', phone: '87654321', birth_year: '' })
    expect(stranger.status).toBe(200)
    expect(stranger.text).not.toContain(token)
    expect(stranger.text).not.toContain('Lone Holm')
  })

  it('sends the link again only to the contacts given in the booking, at most once per 10 minutes', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    await submitBooking(t.app, classId, { name: 'Grethe Hansen', phone: '12 34 56 78', email: 'grethe@example.dk' })
    for (let i = 0; i < 3; i++) {
      expect((await submitBooking(t.app, classId, { name: 'Grethe Hansen', phone: '12345678', email: 'svindler@example.com' })).status).toBe(200)
    }
    const links = (await outboxOf(t)).filter(m => m.kind === 'booking_link')
    expect(links.map(m => m.recipient)).toEqual(['grethe@example.dk'])
    expect((await outboxOf(t)).some(m => m.recipient === 'svindler@example.com')).toBe(false)

    // Eleven minutes later the form may send it once more.
    const later = new Date(Date.now() + 11 * 60_000)
    const again = await bookSeat(t.db, CITIZEN, classId, bookingInput({ name: 'Grethe Hansen', phone: '+4512345678' }), { source: 'online', now: later })
    expect(again).toEqual({ created: false, existingToken: null, linkResent: true })
    expect((await outboxOf(t)).filter(m => m.kind === 'booking_link')).toHaveLength(2)
  })

  it('sends one link when the same duplicate arrives twice at once', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Grethe Hansen', phone: '+4512345678', email: 'grethe@example.dk' }), { source: 'online' })
    const same = bookingInput({ name: 'Grethe Hansen', phone: '+4512345678' })
    const outcomes = await Promise.all([bookSeat(t.db, CITIZEN, classId, same, { source: 'online' }), bookSeat(t.db, CITIZEN, classId, same, { source: 'online' })])
    expect(outcomes.filter(o => !o.created && o.linkResent)).toHaveLength(1)
    expect((await outboxOf(t)).filter(m => m.kind === 'booking_link')).toHaveLength(1)
  })

  it('answers a duplicate through the API with 409 and nothing of the existing booking', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const own = await submitBooking(t.app, classId, { name: 'Grethe Hansen', phone: '12 34 56 78', email: 'grethe@example.dk' })
    const token = tokenFrom(own.headers.location)
    await createStaff(t.db, 'admin', 'api-admin@bib.dk')
    const apiToken = (await createApiToken(t.db, asStaff(await staffIdOf(t.db, 'api-admin@bib.dk')), { name: 'Hjemmesiden', scopes: ['bookings:write'], expiresAt: '2099-01-01T00:00:00.000Z' })).token
    const res = await request(t.app.server).post(`/api/v1/classes/${classId}/bookings`).set('authorization', `Bearer ${apiToken}`).send({ name: 'Grethe Hansen', phone: '+4512345678', email: 'svindler@example.com' })
    expect(res.status).toBe(409)
    expect(res.body.error.code).toBe('already_booked')
    const text = JSON.stringify(res.body)
    for (const secret of [token, '/tilmelding/', 'grethe@example.dk', 'confirmed', 'waitlist']) expect(text).not.toContain(secret)
    expect((await outboxOf(t)).filter(m => m.kind === 'booking_link').map(m => m.recipient)).toEqual(['grethe@example.dk'])
  })

  it('treats the public form as the citizen\'s, also in a browser where staff are signed in', async () => {
    // A library PC where a librarian is signed in: a citizen books and cancels on the public pages.
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    await submitBooking(t.app, classId, { name: 'Grethe Hansen', phone: '12 34 56 78', email: 'grethe@example.dk' })
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const open = async () => csrfOf((await agent.get(`/hold/${classId}`).expect(200)).text)
    let csrf = await open()
    const duplicate = await agent.post(`/hold/${classId}/tilmeld`).type('form').send({ _csrf: csrf, ...validBooking({ name: 'Grethe Hansen', phone: '12345678', email: 'svindler@example.com' }) })
    expect(duplicate.status).toBe(200)
    expect((await outboxOf(t)).filter(m => m.kind === 'booking_link').map(m => m.recipient)).toEqual(['grethe@example.dk'])
    csrf = await open()
    const own = await agent.post(`/hold/${classId}/tilmeld`).type('form').send({ _csrf: csrf, ...validBooking({ name: 'Bent Olsen', phone: '87654321' }) })
    const token = tokenFrom(own.headers.location)
    const page = await agent.get(`/tilmelding/${token}/afmeld`).expect(200)
    await agent.post(`/tilmelding/${token}/afmeld`).type('form').send({ _csrf: csrfOf(page.text) }).expect(303)
    // Nothing the citizen did is put down to the librarian in the audit log.
    expect(await t.db.selectFrom('audit_log').select('action').where('action', 'in', ['booking_created', 'booking_cancelled']).execute()).toEqual([])
  })

  it('lets staff, who may see the booking anyway, go to the existing booking', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    await submitBooking(t.app, classId, { name: 'Grethe Hansen', phone: '12 34 56 78' })
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const form = await agent.get(`/personale/hold/${classId}/tilmeld`).expect(200)
    const res = await agent.post(`/personale/hold/${classId}/tilmeld`).type('form').send({ _csrf: csrfOf(form.text), name: 'Grethe Hansen', phone: '12345678', email: '', birth_year: '' })
    expect(res.status).toBe(303)
    expect(res.headers.location).toContain('tilmeldt=fandtes')
    expect(await countBookings(t.db, classId)).toBe(1)
  })
})

describe('nothing typed into a public form changes a stored person (item 2)', () => {
  let t: TestApp
  beforeEach(async () => { t = await buildTestApp() })
  afterEach(async () => { await t.app.close() })

  it('keeps a phone-only senior\'s messages and call-list place when a stranger books with their name, phone and an e-mail', async () => {
    // The senior booked by phone next week; no e-mail, so staff phone them.
    const start = new Date(Date.now() + 2 * 86400_000)
    const day = start.toISOString().slice(0, 10)
    const hhmm = `${String(start.getUTCHours()).padStart(2, '0')}:00`
    const seniorClass = await createClass(t.db, { capacity: 5, meetings: [`${day}T${hhmm}`] })
    const senior = await bookNew(t.db, CITIZEN, seniorClass, bookingInput({ name: 'Grethe Hansen', phone: '+4512345678' }), { source: 'phone' })
    const other = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    // The stranger books another class as the senior, with their own e-mail.
    expect((await submitBooking(t.app, other, { name: 'Grethe Hansen', phone: '12 34 56 78', email: 'svindler@example.com' })).status).toBe(303)

    const person = await t.db.selectFrom('participants').selectAll().where('name', '=', 'Grethe Hansen').execute()
    expect(person.map(p => p.email)).not.toContain('svindler@example.com')

    // Reminders, class changes and the call list for the senior's booking use its own contacts.
    await queueDueReminders(t.db, [3 * 86400_000 / 60_000])
    await t.db.transaction().execute(async tx => { await notifyClassChanged(tx, seniorClass, await classFacts(tx, seniorClass), new Date()) })
    const toStranger = (await outboxOf(t)).filter(m => m.recipient === 'svindler@example.com')
    expect(toStranger.every(m => m.booking_id !== null && m.booking_id !== undefined)).toBe(true)
    const seniorBookingId = (await t.db.selectFrom('bookings').select('id').where('token', '=', senior.token).executeTakeFirstOrThrow()).id
    expect(toStranger.some(m => m.booking_id === seniorBookingId)).toBe(false)
    // Still on the staff call list (she has no e-mail), on whichever day her call falls.
    const days = Array.from({ length: 4 }, (_, i) => new Date(Date.now() + (i - 1) * 86400_000).toISOString().slice(0, 10))
    const onList = (await Promise.all(days.map(async d => (await getCallList(t.db, d, [24 * 60])).entries))).flat()
    expect(onList.some(e => e.bookingId === seniorBookingId)).toBe(true)

    // The senior's private page shows no e-mail that is not theirs.
    const page = await request(t.app.server).get(`/tilmelding/${senior.token}`).expect(200)
    expect(page.text).not.toContain('svindler@example.com')
  })

  it('lets a leader correct a participant, with an audit entry that names the fields but not the values', async () => {
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const booked = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Grete Hansen', phone: '+4512345678' }), { source: 'phone' })
    const participantId = (await t.db.selectFrom('bookings').select('participant_id').where('token', '=', booked.token).executeTakeFirstOrThrow()).participant_id
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const page = await agent.get(`/personale/deltagere/${participantId}`).expect(200)
    expect(page.text).toContain('Ret navn og kontaktoplysninger')

    const bad = await agent.post(`/personale/deltagere/${participantId}/ret`).type('form').send({ _csrf: csrfOf(page.text), name: 'Grethe Hansen', phone: '12', email: 'grethe@', birth_year: '' })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('Der er 2 ting, du skal rette. Se beskederne ved felterne.')
    expect(bad.text).toContain('Telefonnummeret ser forkert ud')
    expect(bad.text).toContain('value="Grethe Hansen"')

    const ok = await agent.post(`/personale/deltagere/${participantId}/ret`).type('form').send({ _csrf: csrfOf(page.text), name: 'Grethe Hansen', phone: '12 34 56 78', email: 'grethe@example.dk', birth_year: '1941' })
    expect(ok.status).toBe(303)
    const person = await t.db.selectFrom('participants').selectAll().where('id', '=', participantId).executeTakeFirstOrThrow()
    expect([person.name, person.phone, person.email, person.birth_year]).toEqual(['Grethe Hansen', '+4512345678', 'grethe@example.dk', 1941])
    // The upcoming booking that had no e-mail gets the corrected one, so reminders reach her.
    const booking = await t.db.selectFrom('bookings').select(['contact_email']).where('token', '=', booked.token).executeTakeFirstOrThrow()
    expect(booking.contact_email).toBe('grethe@example.dk')
    const audit = await t.db.selectFrom('audit_log').selectAll().where('action', '=', 'participant_corrected').execute()
    expect(audit).toHaveLength(1)
    expect(audit[0]!.detail).toBe('fields=name,email,birth_year')
    expect(JSON.stringify(audit)).not.toContain('grethe@example.dk')

    const noToken = await agent.post(`/personale/deltagere/${participantId}/ret`).type('form').send({ name: 'X', phone: '', email: '', birth_year: '' })
    expect(noToken.status).toBe(403)
  })
})

describe('the contacts of a booking are personal data like the rest', () => {
  it('are in the participant\'s export and go with an erasure', async () => {
    const t = await buildTestApp()
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const booked = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Anna Berg', phone: '+4520000001', email: 'anna@example.dk' }), { source: 'online' })
    const row = await t.db.selectFrom('bookings').select(['id', 'participant_id']).where('token', '=', booked.token).executeTakeFirstOrThrow()
    const admin = await signedInAgent(t.app, await createStaff(t.db, 'admin'))
    const json = await admin.get(`/personale/deltagere/${row.participant_id}/eksport.json`).expect(200)
    expect(JSON.parse(json.text).bookings[0].contact).toEqual({ phone: '+4520000001', email: 'anna@example.dk' })
    const page = await admin.get(`/personale/deltagere/${row.participant_id}`).expect(200)
    const erased = await admin.post(`/personale/deltagere/${row.participant_id}/slet`).type('form').send({ _csrf: csrfOf(page.text), confirm: '1' })
    expect(erased.status).toBe(303)
    const after = await t.db.selectFrom('bookings').select(['contact_phone', 'contact_email', 'source_key']).where('id', '=', row.id).executeTakeFirstOrThrow()
    expect(after).toEqual({ contact_phone: null, contact_email: null, source_key: null })
    await t.app.close()
  })
})

describe('seats cannot be squatted, and honest users are not locked out (item 5)', () => {
  it('counts only accepted bookings: rejected, stale and duplicate posts never lock a shared address out', async () => {
    const t = await buildTestApp({ bookingRateLimit: 3, bookingLimitPerClass: 3 })
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    for (let i = 0; i < 30; i++) {
      const res = await request(t.app.server).post(`/hold/${classId}/tilmeld`).type('form').send({ name: `Uden token ${i}`, phone: '12345678' })
      expect(res.status).toBe(403)
    }
    for (let i = 0; i < 5; i++) expect((await submitBooking(t.app, classId, { name: '', phone: '' })).status).toBe(400)
    expect((await submitBooking(t.app, classId, { name: 'Anna Berg', phone: '20000001' })).status).toBe(303)
    for (let i = 0; i < 5; i++) expect((await submitBooking(t.app, classId, { name: 'Anna Berg', phone: '20000001' })).status).toBe(200)
    expect((await submitBooking(t.app, classId, { name: 'Bent Berg', phone: '20000002' })).status).toBe(303)
    await t.app.close()
  })

  it('limits online bookings per class from one address, keeps what was typed, and never limits staff', async () => {
    const t = await buildTestApp({ bookingLimitPerClass: 3 })
    const classId = await createClass(t.db, { capacity: 14, meetings: ['2030-03-05T10:00'] })
    const other = await createClass(t.db, { meetings: ['2030-03-06T10:00'] })
    for (let i = 1; i <= 3; i++) expect((await submitBooking(t.app, classId, { name: `Opdigtet ${i}`, phone: `3000000${i}` })).status).toBe(303)
    const fourth = await submitBooking(t.app, classId, { name: 'Opdigtet Fire', phone: '30000004', email: 'fire@example.dk' })
    expect(fourth.status).toBe(429)
    expect(fourth.text).toContain('Ring til os, eller spørg på biblioteket')
    expect(fourth.text).toContain('value="Opdigtet Fire"')
    expect(fourth.text).toContain('value="fire@example.dk"')
    expect(await countBookings(t.db, classId)).toBe(3)
    // Another class from the same address, and staff by phone, still work.
    expect((await submitBooking(t.app, other, { name: 'Ægte Borger', phone: '40000001' })).status).toBe(303)
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    for (let i = 1; i <= 4; i++) {
      const form = await agent.get(`/personale/hold/${classId}/tilmeld`).expect(200)
      const res = await agent.post(`/personale/hold/${classId}/tilmeld`).type('form').send({ _csrf: csrfOf(form.text), name: `Telefon ${i}`, phone: `5000000${i}`, email: '', birth_year: '' })
      expect(res.status).toBe(303)
    }
    expect(await countBookings(t.db, classId)).toBe(7)
    await t.app.close()
  })

  it('limits how many people one booker can book onto one class', async () => {
    const t = await buildTestApp({ bookingLimitPerBooker: 2 })
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const forOther = (name: string) => ({ name, phone: '', birth_year: '', for_someone_else: '1', booker_name: 'Lone Holm', booker_phone: '87 65 43 21' })
    expect((await submitBooking(t.app, classId, forOther('Ruth Holm'))).status).toBe(303)
    expect((await submitBooking(t.app, classId, forOther('Karl Holm'))).status).toBe(303)
    const third = await submitBooking(t.app, classId, forOther('Olga Holm'))
    expect(third.status).toBe(429)
    expect(third.text).toContain('Du har allerede tilmeldt mange personer til dette hold')
    await t.app.close()
  })

  it('flags a burst of online bookings from one address on the staff class page, and lets a leader cancel it in one step', async () => {
    const t = await buildTestApp()
    const classId = await createClass(t.db, { capacity: 4, meetings: ['2030-03-05T10:00'] })
    // A real citizen from elsewhere, booked by staff, ends up waiting behind the squatter.
    for (let i = 1; i <= 5; i++) expect((await submitBooking(t.app, classId, { name: `Opdigtet ${i}`, phone: `3000000${i}` })).status).toBe(303)
    await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Ægte Borger', phone: '+4540000001', email: 'borger@example.dk' }), { source: 'phone' })
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const page = await agent.get(`/personale/hold/${classId}`).expect(200)
    expect(page.text).toContain('Mange tilmeldinger fra samme netværk')
    const ids = [...page.text.matchAll(/name="booking_id" value="(\d+)" checked/g)].map(m => m[1]!)
    expect(ids).toHaveLength(5)

    const stale = await agent.post(`/personale/hold/${classId}/afmeld-flere`).type('form').send({ booking_id: ids })
    expect(stale.status).toBe(403)
    const res = await agent.post(`/personale/hold/${classId}/afmeld-flere`).type('form').send({ _csrf: csrfOf(page.text), booking_id: ids })
    expect(res.status).toBe(303)
    const rows = await t.db.selectFrom('bookings').innerJoin('participants', 'participants.id', 'bookings.participant_id').select(['participants.name', 'bookings.status']).where('class_id', '=', classId).orderBy('bookings.id').execute()
    expect(rows.filter(r => r.status === 'cancelled')).toHaveLength(5)
    expect(rows.find(r => r.name === 'Ægte Borger')?.status).toBe('confirmed')
    const after = await agent.get(`/personale/hold/${classId}`).expect(200)
    expect(after.text).not.toContain('Mange tilmeldinger fra samme netværk')
    // Ids of another class or unknown ids change nothing and never give a 500.
    const other = await createClass(t.db, { meetings: ['2030-03-06T10:00'] })
    const foreign = await agent.post(`/personale/hold/${other}/afmeld-flere`).type('form').send({ _csrf: csrfOf(after.text), booking_id: ['999999', 'abc'] })
    expect(foreign.status).toBe(303)
    await t.app.close()
  })

  it('keeps the booking form working from one address for a family of two', async () => {
    const t = await buildTestApp({ bookingLimitPerClass: 6 })
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const { cookie, csrf } = await openBookingForm(t.app, classId)
    const first = await request(t.app.server).post(`/hold/${classId}/tilmeld`).set('cookie', cookie).type('form').send({ _csrf: csrf, name: 'Hans Hansen', phone: '12345678', email: '', birth_year: '' })
    expect(first.status).toBe(303)
    expect((await submitBooking(t.app, classId, { name: 'Grethe Hansen', phone: '12345678' })).status).toBe(303)
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    expect((await agent.get(`/personale/hold/${classId}`).expect(200)).text).not.toContain('Mange tilmeldinger fra samme netværk')
    await t.app.close()
  })
})

/** The booking form posted from a given client address (behind a trusted proxy). */
async function submitFrom (t: TestApp, address: string, classId: number, fields: Record<string, string>) {
  const { cookie, csrf } = await openBookingForm(t.app, classId)
  return await request(t.app.server).post(`/hold/${classId}/tilmeld`).set('cookie', cookie).set('x-forwarded-for', address).type('form')
    .send({ _csrf: csrf, name: '', phone: '', email: '', birth_year: '', ...fields })
}

describe('found by trying the fixes from outside', () => {
  let t: TestApp
  afterEach(async () => { await t.app.close() })

  it('a stranger\'s own booking, linked to a known person, shows only what the stranger typed', async () => {
    t = await buildTestApp()
    const first = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    await bookNew(t.db, CITIZEN, first, bookingInput({ name: 'Grethe Hansen', phone: '+4512345678', birthYear: 1941 }), { source: 'phone' })
    const other = await createClass(t.db, { meetings: ['2030-03-12T10:00'] })
    const mine = await submitBooking(t.app, other, { name: 'grethe hansen', phone: '12 34 56 78', email: 'svindler@example.com', birth_year: '' })
    const page = await request(t.app.server).get(mine.headers.location!).expect(200)
    expect(page.text).not.toContain('1941')
    expect(page.text).not.toContain('Grethe Hansen')
  })

  it('an address at its limit gets the same answer whether or not the person is booked', async () => {
    t = await buildTestApp({ bookingLimitPerClass: 2 })
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Grethe Hansen', phone: '+4512345678' }), { source: 'phone' })
    expect((await submitBooking(t.app, classId, { name: 'En', phone: '30000001' })).status).toBe(303)
    expect((await submitBooking(t.app, classId, { name: 'To', phone: '30000002' })).status).toBe(303)
    const booked = await submitBooking(t.app, classId, { name: 'Grethe Hansen', phone: '12345678' })
    const notBooked = await submitBooking(t.app, classId, { name: 'Karen Hansen', phone: '12345678' })
    expect([booked.status, notBooked.status]).toEqual([429, 429])
  })

  it('many bookings naming one address cannot flood it with re-sent links', async () => {
    t = await buildTestApp()
    const classes = await Promise.all([1, 2, 3, 4, 5].map(async d => await createClass(t.db, { meetings: [`2030-03-0${d}T10:00`] })))
    for (const [i, classId] of classes.entries()) {
      await bookNew(t.db, CITIZEN, classId, bookingInput({ name: `Navn ${i}`, phone: `+453000000${i}`, email: 'offer@example.dk' }), { source: 'online' })
    }
    for (let round = 0; round < 4; round++) {
      const at = new Date(Date.now() + round * 11 * 60_000)
      for (const [i, classId] of classes.entries()) await bookSeat(t.db, CITIZEN, classId, bookingInput({ name: `Navn ${i}`, phone: `+453000000${i}` }), { source: 'online', now: at })
    }
    expect((await outboxOf(t)).filter(m => m.kind === 'booking_link')).toHaveLength(3)
  })

  it('a duplicate with other contact details is flagged for staff, who can phone', async () => {
    t = await buildTestApp()
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    await submitBooking(t.app, classId, { name: 'Grethe Hansen', phone: '12 34 56 78', email: 'svindler@example.com' })
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    expect((await agent.get(`/personale/hold/${classId}`)).text).not.toContain('Tilmeldt igen med andre kontaktoplysninger')
    // The same contacts again is no conflict; the real Grethe with her own e-mail is.
    await submitBooking(t.app, classId, { name: 'Grethe Hansen', phone: '12345678' })
    expect((await agent.get(`/personale/hold/${classId}`)).text).not.toContain('Tilmeldt igen med andre kontaktoplysninger')
    const real = await submitBooking(t.app, classId, { name: 'Grethe Hansen', phone: '12345678', email: 'grethe@example.dk' })
    expect(real.text).toContain('har du ikke selv lavet tilmeldingen')
    expect((await agent.get(`/personale/hold/${classId}`)).text).toContain('Tilmeldt igen med andre kontaktoplysninger')
  })

  it('a leader\'s correction reaches only bookings made with the record\'s own details', async () => {
    t = await buildTestApp()
    const first = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const own = await bookNew(t.db, CITIZEN, first, bookingInput({ name: 'Grethe Hansen', phone: '+4512345678' }), { source: 'phone' })
    const other = await createClass(t.db, { meetings: ['2030-03-12T10:00'] })
    const stranger = await submitBooking(t.app, other, { name: 'Grethe Hansen', phone: '12 34 56 78', email: 'svindler@example.com' })
    const participantId = (await t.db.selectFrom('bookings').select('participant_id').where('token', '=', own.token).executeTakeFirstOrThrow()).participant_id
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const page = await agent.get(`/personale/deltagere/${participantId}`).expect(200)
    expect(page.text).toContain('value="12 34 56 78"')
    await agent.post(`/personale/deltagere/${participantId}/ret`).type('form').send({ _csrf: csrfOf(page.text), name: 'Grethe Hansen', phone: '87 65 43 21', email: '', birth_year: '' }).expect(303)
    const contacts = async (token: string) => (await t.db.selectFrom('bookings').select('contact_phone').where('token', '=', token).executeTakeFirstOrThrow()).contact_phone
    expect(await contacts(own.token)).toBe('+4587654321')
    expect(await contacts(tokenFrom(stranger.headers.location))).toBe('+4512345678')
    const strangerPage = await request(t.app.server).get(stranger.headers.location!).expect(200)
    expect(strangerPage.text).not.toContain('87 65 43 21')
  })

  it('counts IPv6 addresses of one /64 as one client', async () => {
    t = await buildTestApp({ bookingLimitPerClass: 2, trustProxy: ['127.0.0.1', '::1', '::ffff:127.0.0.1'] })
    const classId = await createClass(t.db, { capacity: 20, meetings: ['2030-03-05T10:00'] })
    const answers = []
    for (let i = 1; i <= 4; i++) answers.push((await submitFrom(t, `2001:db8:1:2::${i}`, classId, { name: `Opdigtet ${i}`, phone: `3000000${i}` })).status)
    expect(answers).toEqual([303, 303, 429, 429])
    expect((await submitFrom(t, '2001:db8:9:9::1', classId, { name: 'Ægte Borger', phone: '40000001' })).status).toBe(303)
  })

  it('a stranger naming a carer as booker cannot lock the carer out', async () => {
    t = await buildTestApp({ bookingLimitPerBooker: 2, trustProxy: ['127.0.0.1', '::1', '::ffff:127.0.0.1'] })
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const forOther = (name: string) => ({ name, for_someone_else: '1', booker_name: 'Lone Holm', booker_phone: '87 65 43 21' })
    expect((await submitFrom(t, '198.51.100.7', classId, forOther('Falsk Et'))).status).toBe(303)
    expect((await submitFrom(t, '198.51.100.7', classId, forOther('Falsk To'))).status).toBe(303)
    expect((await submitFrom(t, '198.51.100.7', classId, forOther('Falsk Tre'))).status).toBe(429)
    expect((await submitFrom(t, '203.0.113.9', classId, forOther('Ruth Holm'))).status).toBe(303)
  })

  it('the one-step cancel takes only bookings of a burst, never a phone booking', async () => {
    t = await buildTestApp()
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    for (let i = 1; i <= 4; i++) await submitBooking(t.app, classId, { name: `Opdigtet ${i}`, phone: `3000000${i}` })
    const phone = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Telefon Borger', phone: '+4540000001' }), { source: 'phone' })
    const phoneId = (await t.db.selectFrom('bookings').select('id').where('token', '=', phone.token).executeTakeFirstOrThrow()).id
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const page = await agent.get(`/personale/hold/${classId}`).expect(200)
    const ids = [...page.text.matchAll(/name="booking_id" value="(\d+)" checked/g)].map(m => m[1]!)
    await agent.post(`/personale/hold/${classId}/afmeld-flere`).type('form').send({ _csrf: csrfOf(page.text), booking_id: [...ids, String(phoneId)] }).expect(303)
    const status = (await t.db.selectFrom('bookings').select('status').where('id', '=', phoneId).executeTakeFirstOrThrow()).status
    expect(status).toBe('confirmed')
    expect(await countBookings(t.db, classId)).toBe(5)
  })
})
