import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cancelBooking } from '../../server/services/booking-service.ts'
import { bookingInput, bookNew, createClass, createStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent, type TestApp } from '../helpers/http.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

const person = (name: string, phone: string) => bookingInput({ name, phone })

describe('staff bookings', () => {
  let t: TestApp
  let agent: Awaited<ReturnType<typeof signedInAgent>>
  beforeAll(async () => {
    t = await buildTestApp()
    agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
  })
  afterAll(async () => { await t.app.close() })

  it('books by phone with the same rules, also on an internal class, recorded as "phone"', async () => {
    const id = await createClass(t.db, { isPublic: false, capacity: 1, meetings: ['2030-03-05T10:00'] })
    const form = await agent.get(`/personale/hold/${id}/tilmeld`).expect(200)
    // Whom the booking is for comes first, in the caller's words.
    const choice = form.text.indexOf('Den, der ringer, tilmelder en anden')
    expect(choice).toBeGreaterThan(0)
    expect(choice).toBeLessThan(form.text.indexOf('id="f-name"'))
    // A signed-in librarian on the public page sees the citizen's form.
    const open = await createClass(t.db, { capacity: 1, meetings: ['2030-03-05T10:00'] })
    const publicPage = await agent.get(`/hold/${open}`).expect(200)
    expect(publicPage.text).toContain('<label for="f-for-self">Mig selv</label>')
    const bad = await agent.post(`/personale/hold/${id}/tilmeld`).type('form').send({ _csrf: csrfOf(form.text), name: 'Ruth Holm', phone: '123' })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('Telefonnummeret ser forkert ud')
    expect(bad.text).toContain('value="Ruth Holm"')

    const ok = await agent.post(`/personale/hold/${id}/tilmeld`).type('form').send({ _csrf: csrfOf(bad.text), name: 'Ruth Holm', phone: '12 12 12 12' })
    expect(ok.status).toBe(303)
    expect(ok.headers.location).toContain('tilmeldt=plads')
    const full = await agent.post(`/personale/hold/${id}/tilmeld`).type('form').send({ _csrf: csrfOf(bad.text), name: 'Poul Holm', phone: '13 13 13 13' })
    expect(full.headers.location).toContain('tilmeldt=venteliste-1')
    const again = await agent.post(`/personale/hold/${id}/tilmeld`).type('form').send({ _csrf: csrfOf(bad.text), name: 'ruth holm', phone: '12121212' })
    expect(again.headers.location).toContain('tilmeldt=fandtes')

    const rows = await t.db.selectFrom('bookings').select(['source', 'status', 'id']).where('class_id', '=', id).orderBy('id').execute()
    expect(rows.map(r => [r.source, r.status])).toEqual([['phone', 'confirmed'], ['phone', 'waitlisted']])
    const audit = await t.db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'booking_created').execute()
    expect(audit).toHaveLength(2)
    expect(JSON.stringify(audit)).not.toContain('Ruth')

    const page = await agent.get(`/personale/hold/${id}?tilmeldt=plads`).expect(200)
    expect(page.text).toContain('Borgeren har fået en plads.')
    expect(page.text).toContain('Personale (telefon)')
  })

  it('cancels a booking for a citizen and gives the seat to the first on the waiting list', async () => {
    const id = await createClass(t.db, { capacity: 1, meetings: ['2030-04-05T10:00'] })
    await bookNew(t.db, CITIZEN, id, person('Hanne Olsen', '+4531000001'), { source: 'online' })
    await bookNew(t.db, CITIZEN, id, person('Erik Møller', '+4531000002'), { source: 'online' })
    const [seat] = await t.db.selectFrom('bookings').select('id').where('class_id', '=', id).orderBy('id').execute()
    const page = await agent.get(`/personale/hold/${id}`)
    const res = await agent.post(`/personale/tilmeldinger/${seat!.id}/afmeld`).type('form').send({ _csrf: csrfOf(page.text), bekraeft: 'ja' })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe(`/personale/hold/${id}?afmeldt=1&rykket=1#deltagere`)
    const rows = await t.db.selectFrom('bookings').select(['status', 'cancelled_by']).where('class_id', '=', id).orderBy('id').execute()
    expect(rows).toEqual([{ status: 'cancelled', cancelled_by: 'staff' }, { status: 'confirmed', cancelled_by: null }])
    expect((await t.db.selectFrom('audit_log').select('action').where('action', '=', 'booking_cancelled').execute())).toHaveLength(1)
    expect((await agent.post(`/personale/tilmeldinger/${seat!.id}/afmeld`).type('form').send({})).status).toBe(403)
  })

  it('prints a door list with a box to tick, and exports the participants as CSV for a spreadsheet', async () => {
    const id = await createClass(t.db, { capacity: 1, meetings: ['2030-05-05T10:00'] })
    await bookNew(t.db, CITIZEN, id, { ...person('Søren Ærø', '+4532000001'), needsHearingLoop: true }, { source: 'online' })
    await bookNew(t.db, CITIZEN, id, person('=HYPERLINK("x") Jensen', '+4532000002'), { source: 'online' })
    const list = await agent.get(`/personale/hold/${id}/doerliste`).expect(200)
    expect(list.text).toContain('Søren Ærø')
    expect(list.text).toContain('32 00 00 01')
    expect(list.text).toContain('Teleslynge')
    expect(list.text).toContain('class="tick"')
    expect(list.text).not.toContain('HYPERLINK') // only those with a seat

    const csv = await agent.get(`/personale/hold/${id}/deltagere.csv`).expect(200)
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(csv.headers['content-disposition']).toContain('deltagere-hold-')
    expect(csv.text.charCodeAt(0)).toBe(0xFEFF)
    const lines = csv.text.slice(1).trim().split(/\r?\n/)
    expect(lines[0]).toBe('Navn;Status;Venteliste nr.;Telefon;E-mail;Fødselsår;Behov;Tilmeldt af;Kilde;Tilmeldt')
    expect(lines[1]).toMatch(/^Søren Ærø;Plads;;32 00 00 01;;;Teleslynge;;Online;/)
    expect(lines[2]).toMatch(/^"'=HYPERLINK\(""x""\) Jensen";Venteliste;1;/)
  })
})

describe('the call-down page and notes', () => {
  it('lists those waiting in order with phone numbers and records the calls', async () => {
    const t = await buildTestApp()
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const id = await createClass(t.db, { capacity: 1, meetings: ['2030-07-01T10:00'] })
    await t.db.updateTable('classes').set({ waitlist_mode: 'call' }).where('id', '=', id).execute()
    const seat = await bookNew(t.db, CITIZEN, id, person('Først', '+4540000001'), { source: 'online' })
    await bookNew(t.db, CITIZEN, id, person('Grethe Hansen', '+4540000002'), { source: 'online' })
    await bookNew(t.db, CITIZEN, id, { ...person('Ruth Holm', ''), phone: null, booker: { name: 'Lone Holm', phone: '+4540000003', email: null } }, { source: 'online' })
    await cancelBooking(t.db, CITIZEN, seat.token, 'participant')

    const page = await agent.get(`/personale/hold/${id}/venteliste`).expect(200)
    expect(page.text).toContain('Der er 1 ledig plads.')
    expect(page.text.indexOf('1. Grethe Hansen')).toBeLessThan(page.text.indexOf('2. Ruth Holm'))
    expect(page.text).toContain('40 00 00 02')
    expect(page.text).toContain('<a class="phone" href="tel:+4540000003">40 00 00 03</a> (Lone Holm)')

    const [, grethe, ruth] = (await t.db.selectFrom('bookings').select('id').where('class_id', '=', id).orderBy('id').execute()).map(b => b.id)
    const noAnswer = await agent.post(`/personale/tilmeldinger/${grethe}/opkald`).type('form').send({ _csrf: csrfOf(page.text), outcome: 'no_answer' })
    expect(noAnswer.headers.location).toContain('besked=no_answer')
    const yes = await agent.post(`/personale/tilmeldinger/${ruth}/opkald`).type('form').send({ _csrf: csrfOf(page.text), outcome: 'accepted' })
    expect(yes.headers.location).toContain('besked=accepted')
    const full = await agent.post(`/personale/tilmeldinger/${grethe}/opkald`).type('form').send({ _csrf: csrfOf(page.text), outcome: 'accepted' })
    expect(full.headers.location).toContain('besked=class_full')
    const after = await agent.get(full.headers.location ?? '').expect(200)
    expect(after.text).toContain('Der er ingen ledig plads lige nu.')
    expect(after.text).toContain('tog ikke telefonen')
    expect((await agent.post(`/personale/tilmeldinger/${grethe}/opkald`).type('form').send({ outcome: 'accepted' })).status).toBe(403)

    const classPage = await agent.get(`/personale/hold/${id}`)
    await agent.post(`/personale/tilmeldinger/${ruth}/note`).type('form').send({ _csrf: csrfOf(classPage.text), note: 'Kommer med sin datter' }).expect(303)
    expect((await agent.get(`/personale/hold/${id}`)).text).toContain('value="Kommer med sin datter"')
    const audit = await t.db.selectFrom('audit_log').select(['action', 'detail']).where('action', 'like', 'booking_note%').execute()
    expect(JSON.stringify(audit)).not.toContain('datter')
    await t.app.close()
  })
})

describe('moving a booking to another class', () => {
  it('moves the person, frees the old seat for the waiting list, and keeps the needs and note', async () => {
    const t = await buildTestApp()
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const from = await createClass(t.db, { capacity: 1, meetings: ['2030-08-01T10:00'] })
    const to = await createClass(t.db, { capacity: 5, meetings: ['2030-08-08T10:00'] })
    await createClass(t.db, { capacity: 5, meetings: ['2020-08-08T10:00'] })
    await bookNew(t.db, CITIZEN, from, { ...person('Inger Lund', '+4541000001'), needsHearingLoop: true }, { source: 'phone' })
    await bookNew(t.db, CITIZEN, from, person('Bent Madsen', '+4541000002'), { source: 'online' })
    const [inger, bent] = (await t.db.selectFrom('bookings').select('id').where('class_id', '=', from).orderBy('id').execute()).map(b => b.id)

    const page = await agent.get(`/personale/tilmeldinger/${inger}`).expect(200)
    expect(page.text).toContain('Inger Lund')
    expect(page.text).toContain(`<option value="${to}">`)
    const same = await agent.post(`/personale/tilmeldinger/${inger}/flyt`).type('form').send({ _csrf: csrfOf(page.text), target: String(from) })
    expect(same.status).toBe(409)
    expect(same.text).toContain('allerede på det hold')

    const moved = await agent.post(`/personale/tilmeldinger/${inger}/flyt`).type('form').send({ _csrf: csrfOf(page.text), target: String(to) })
    expect(moved.status).toBe(303)
    expect(moved.headers.location).toBe(`/personale/hold/${to}?tilmeldt=plads#deltagere`)
    const rows = await t.db.selectFrom('bookings').select(['id', 'class_id', 'status', 'source', 'needs_hearing_loop', 'participant_id']).orderBy('id').execute()
    const ingerOld = rows.find(r => r.id === inger)
    const ingerNew = rows.at(-1)
    expect(ingerOld?.status).toBe('cancelled')
    expect(ingerNew).toMatchObject({ class_id: to, status: 'confirmed', source: 'phone', needs_hearing_loop: 1, participant_id: ingerOld?.participant_id })
    expect(rows.find(r => r.id === bent)?.status).toBe('confirmed')
    expect((await t.db.selectFrom('audit_log').select('action').where('action', '=', 'booking_moved').execute())).toHaveLength(1)
    await t.app.close()
  })
})
