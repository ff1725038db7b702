import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { bookSeat } from '../../server/services/booking-service.ts'
import { assignToClass } from '../../server/services/volunteer-service.ts'
import { asStaff, bookingInput, createClassToday, createStaff, seedEarlierParticipants, staffIdOf } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent } from '../helpers/http.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

const earlier = new Date(Date.now() - 3 * 86400_000)

async function setUp () {
  const t = await buildTestApp()
  const { classId, meetingId } = await createClassToday(t.db, { capacity: 3 })
  await bookSeat(t.db, CITIZEN, classId, bookingInput({ name: 'Grethe Hansen', phone: '+4522223333', email: 'grethe@example.dk', needsHearingLoop: true, booker: { name: 'Lise Hansen', phone: '+4544445555', email: 'lise@example.dk' } }), { source: 'phone', now: earlier })
  await bookSeat(t.db, CITIZEN, classId, bookingInput({ name: 'Bent Olsen', phone: '+4566667777' }), { source: 'phone', now: earlier })
  const bookings = await t.db.selectFrom('bookings').innerJoin('participants', 'participants.id', 'bookings.participant_id').select(['bookings.id', 'participants.name', 'bookings.checkin_code']).where('class_id', '=', classId).orderBy('bookings.id').execute()
  const volunteerLogin = await createStaff(t.db, 'volunteer', 'frida@bib.dk')
  const fridaId = await staffIdOf(t.db, 'frida@bib.dk')
  await assignToClass(t.db, asStaff(fridaId), classId, fridaId, 'helper')
  return { ...t, classId, meetingId, grethe: bookings[0]!, bent: bookings[1]!, volunteerLogin }
}

const attendances = async (t: Awaited<ReturnType<typeof setUp>>) => Number((await t.db.selectFrom('attendances').select(eb => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)

describe('the door', () => {
  it('lets an assigned volunteer check in and undo by form, showing names and needs but no contact data', async () => {
    const t = await setUp()
    await request(t.app.server).get(`/tjek-ind/${t.meetingId}`).expect(401)
    const other = await signedInAgent(t.app, await createStaff(t.db, 'volunteer', 'ole@bib.dk'))
    await other.get(`/tjek-ind/${t.meetingId}`).expect(403)
    const today = await other.get('/tjek-ind').expect(200)
    expect(today.text).not.toContain(`/tjek-ind/${t.meetingId}"`)

    const frida = await signedInAgent(t.app, t.volunteerLogin)
    const list = await frida.get('/tjek-ind').expect(200)
    expect(list.text).toContain(`href="/tjek-ind/${t.meetingId}"`)
    const sheet = await frida.get(`/tjek-ind/${t.meetingId}`).expect(200)
    expect(sheet.text).toContain('Grethe Hansen')
    expect(sheet.text).toContain('Teleslynge')
    for (const secret of ['22 22 33 33', '22223333', 'grethe@example.dk', 'Lise Hansen', '44445555', 'lise@example.dk', '66667777', t.grethe.checkin_code]) {
      expect(sheet.text, secret).not.toContain(secret)
    }
    expect(sheet.text).not.toContain('For projektledere')

    const key = /name="key" value="([^"]+)"[\s\S]*?name="booking_id" value="(\d+)"/.exec(sheet.text)
    const form = { _csrf: csrfOf(sheet.text), key: key?.[1] ?? '', booking_id: key?.[2] ?? '', type: 'in' }
    expect(Number(form.booking_id)).toBe(t.bent.id) // sorted by name: Bent before Grethe
    await frida.post(`/tjek-ind/${t.meetingId}/handling`).type('form').send(form).expect(303)
    // The same form sent twice (a double tap) checks in once.
    await frida.post(`/tjek-ind/${t.meetingId}/handling`).type('form').send(form).expect(303)
    expect(await attendances(t)).toBe(1)
    const after = await frida.get(`/tjek-ind/${t.meetingId}`).expect(200)
    expect(after.text).toContain('Bent Olsen er tjekket ind.')
    expect(after.text).toContain('<strong data-count>1</strong> af <span data-total>2</span>')
    expect(after.text).toContain('Fortryd<span class="sr-only"> tjek ind af Bent Olsen</span>')

    await frida.post(`/tjek-ind/${t.meetingId}/handling`).type('form').send({ ...form, key: 'undo-key-123456', type: 'out', confirm: '1' }).expect(303)
    expect(await attendances(t)).toBe(0)
    expect((await frida.get(`/tjek-ind/${t.meetingId}`)).text).toContain('Bent Olsen er ikke længere tjekket ind.')

    // Without a CSRF token nothing happens.
    await frida.post(`/tjek-ind/${t.meetingId}/handling`).type('form').send({ ...form, _csrf: 'x', key: 'another-key-1234' }).expect(403)
    expect(await attendances(t)).toBe(0)
  })

  it('checks in by typed code, takes walk-ins with Danish messages next to the field, and keeps what was typed', async () => {
    const t = await setUp()
    const frida = await signedInAgent(t.app, t.volunteerLogin)
    let page = await frida.get(`/tjek-ind/${t.meetingId}`)
    const code = t.grethe.checkin_code
    const typed = `${code.slice(0, 3).toLowerCase()} ${code.slice(3)}`
    await frida.post(`/tjek-ind/${t.meetingId}/handling`).type('form').send({ _csrf: csrfOf(page.text), key: 'code-key-0001', type: 'code', code: typed }).expect(303)
    page = await frida.get(`/tjek-ind/${t.meetingId}`)
    expect(page.text).toContain('Grethe Hansen er tjekket ind.')

    const bad = await frida.post(`/tjek-ind/${t.meetingId}/handling`).type('form').send({ _csrf: csrfOf(page.text), key: 'code-key-0002', type: 'code', code: 'ACDEFH' }).expect(409)
    expect(bad.text).toContain('Koden findes ikke på dette hold.')
    expect(bad.text).toContain('value="ACDEFH"')

    const empty = await frida.post(`/tjek-ind/${t.meetingId}/handling`).type('form').send({ _csrf: csrfOf(page.text), key: 'walk-key-0001', type: 'walkin', name: '', phone: '12 34', email: '' }).expect(400)
    expect(empty.text).toContain('<span class="form-error-message" id="f-name-error"><span class="sr-only">Fejl: </span>Skriv personens navn.</span>')
    expect(empty.text).toContain('Telefonnummeret ser forkert ud')
    expect(empty.text).toContain('value="12 34"')

    await frida.post(`/tjek-ind/${t.meetingId}/handling`).type('form').send({ _csrf: csrfOf(page.text), key: 'walk-key-0002', type: 'walkin', name: 'Søren Ærø', phone: '', email: '' }).expect(303)
    page = await frida.get(`/tjek-ind/${t.meetingId}`)
    expect(page.text).toContain('Søren Ærø har fået en plads og er tjekket ind.')
    // The class (3 seats) is now full: a volunteer cannot seat one more.
    const full = await frida.post(`/tjek-ind/${t.meetingId}/handling`).type('form').send({ _csrf: csrfOf(page.text), key: 'walk-key-0003', type: 'walkin', name: 'Ali Hassan', phone: '', email: '', overfill: '1' }).expect(409)
    expect(full.text).toContain('Holdet er fuldt. Kun en projektleder kan give plads')
    expect(full.text).toContain('value="Ali Hassan"')

    // A leader can, and it is recorded on the booking.
    const leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const leaderPage = await leader.get(`/tjek-ind/${t.meetingId}`).expect(200)
    expect(leaderPage.text).toContain('Giv plads, selv om holdet er fuldt')
    await leader.post(`/tjek-ind/${t.meetingId}/handling`).type('form').send({ _csrf: csrfOf(leaderPage.text), key: 'walk-key-0004', type: 'walkin', name: 'Ali Hassan', phone: '', email: '', overfill: '1' }).expect(303)
    const ali = await t.db.selectFrom('bookings').innerJoin('participants', 'participants.id', 'bookings.participant_id').select(['bookings.source', 'bookings.over_capacity']).where('participants.name', '=', 'Ali Hassan').executeTakeFirstOrThrow()
    expect(ali).toEqual({ source: 'walkin', over_capacity: 1 })
  })

  it('applies an offline batch in order, and replaying the same batch changes nothing', async () => {
    const t = await setUp()
    const frida = await signedInAgent(t.app, t.volunteerLogin)
    const page = await frida.get(`/tjek-ind/${t.meetingId}`)
    const batch = [
      { key: 'k-0000000001', type: 'in', bookingId: t.grethe.id },
      { key: 'k-0000000002', type: 'in', bookingId: t.bent.id },
      { key: 'k-0000000003', type: 'out', bookingId: t.bent.id },
      { key: 'k-0000000004', type: 'walkin', person: { name: 'Søren Ærø', phone: '', email: '' } },
      { key: 'k-0000000005', type: 'code', code: t.bent.checkin_code }
    ]
    const first = await frida.post(`/tjek-ind/${t.meetingId}/synk`).send({ _csrf: csrfOf(page.text), actions: batch }).expect(200)
    expect(first.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['checked_in', 'checked_in', 'undone', 'checked_in', 'checked_in'])
    expect(first.body.sheet).toMatchObject({ attendedCount: 3, confirmedCount: 3, seatsLeft: 0 })
    expect(JSON.stringify(first.body)).not.toContain('22223333')
    const snapshot = async () => ({
      attendances: await t.db.selectFrom('attendances').select(['booking_id', 'meeting_id']).orderBy('id').execute(),
      bookings: await t.db.selectFrom('bookings').select(['id', 'status']).orderBy('id').execute(),
      participants: await t.db.selectFrom('participants').select('id').execute()
    })
    const before = await snapshot()
    const again = await frida.post(`/tjek-ind/${t.meetingId}/synk`).send({ _csrf: csrfOf(page.text), actions: batch }).expect(200)
    expect(again.body.results.every((r: { replayed: boolean }) => r.replayed)).toBe(true)
    expect(again.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['checked_in', 'checked_in', 'undone', 'checked_in', 'checked_in'])
    expect(await snapshot()).toEqual(before)

    const noToken = await frida.post(`/tjek-ind/${t.meetingId}/synk`).send({ actions: [{ key: 'k-0000000009', type: 'out', bookingId: t.grethe.id }] }).expect(403)
    expect(noToken.body.error).toBe('csrf')
    const wrong = await frida.post(`/tjek-ind/${t.meetingId}/synk`).send({ _csrf: csrfOf(page.text), actions: [{ key: 'short', type: 'in', bookingId: 1 }, { key: 'k-0000000010', type: 'code', code: 'ACDEFH' }, { key: 'k-0000000011', type: 'walkin', person: { name: '' } }] }).expect(200)
    expect(wrong.body.results.map((r: { error: string }) => r.error)).toEqual(['bad_key', 'code_not_found', 'invalid'])
    await frida.post(`/tjek-ind/${t.meetingId}/synk`).send({ _csrf: csrfOf(page.text), actions: 'nonsense' }).expect(400)
  })

  it('gives a tablet a one-day PIN link for one meeting only, and locks it after wrong PINs', async () => {
    const t = await setUp()
    const other = await createClassToday(t.db)
    const leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const sheet = await leader.get(`/tjek-ind/${t.meetingId}`).expect(200)
    const created = await leader.post(`/tjek-ind/${t.meetingId}/link`).type('form').send({ _csrf: csrfOf(sheet.text) }).expect(200)
    const url = /(http:\/\/[^<\s]+\/tjek-ind\/adgang\/[A-Za-z0-9_-]+)/.exec(created.text)?.[1] ?? ''
    const pin = /class="door-pin-shown">(\d{4})</.exec(created.text)?.[1] ?? ''
    expect(pin).toMatch(/^\d{4}$/)
    expect(created.text).toContain('<svg role="img" aria-label="QR-kode med linket"')
    const path = new URL(url).pathname

    const tablet = request.agent(t.app.server)
    const form = await tablet.get(path).expect(200)
    const wrongPin = pin === '0000' ? '1111' : '0000'
    const wrong = await tablet.post(path).type('form').send({ _csrf: csrfOf(form.text), pin: wrongPin }).expect(401)
    expect(wrong.text).toContain('PIN-koden er forkert. Du kan prøve 4 gange mere.')
    await tablet.get(`/tjek-ind/${t.meetingId}`).expect(401)
    await tablet.post(path).type('form').send({ _csrf: csrfOf(form.text), pin }).expect(303).expect('location', `/tjek-ind/${t.meetingId}`)
    const door = await tablet.get(`/tjek-ind/${t.meetingId}`).expect(200)
    expect(door.text).toContain('Grethe Hansen')
    expect(door.text).not.toContain('22223333')
    expect(door.text).not.toContain('For projektledere')
    await tablet.post(`/tjek-ind/${t.meetingId}/synk`).send({ _csrf: csrfOf(door.text), actions: [{ key: 'tablet-key-001', type: 'in', bookingId: t.grethe.id }] }).expect(200)
    const row = await t.db.selectFrom('checkin_actions').select(['link_id', 'staff_user_id']).where('idempotency_key', '=', 'tablet-key-001').executeTakeFirstOrThrow()
    expect(row.link_id).not.toBeNull()
    expect(row.staff_user_id).toBeNull()
    // Only this meeting, and no leader's tools.
    await tablet.get(`/tjek-ind/${other.meetingId}`).expect(403)
    await tablet.post(`/tjek-ind/${t.meetingId}/link`).type('form').send({ _csrf: csrfOf(door.text) }).expect(403)
    await tablet.get('/personale').expect(401)
    expect((await tablet.get('/tjek-ind')).headers.location).toBe(`/tjek-ind/${t.meetingId}`)

    // The next day the link no longer works, neither the session nor the link itself.
    await t.db.updateTable('checkin_links').set({ valid_on: '2020-01-01' }).execute()
    await tablet.get(`/tjek-ind/${t.meetingId}`).expect(403)
    expect((await request(t.app.server).get(path).expect(410)).text).toContain('Linket virker kun på holdets egen dag')

    // A new link is locked after five wrong PINs, even with the right one after.
    const again = await leader.post(`/tjek-ind/${t.meetingId}/link`).type('form').send({ _csrf: csrfOf(sheet.text) }).expect(200)
    const path2 = new URL(/(http:\/\/[^<\s]+\/tjek-ind\/adgang\/[A-Za-z0-9_-]+)/.exec(again.text)?.[1] ?? '').pathname
    const pin2 = /class="door-pin-shown">(\d{4})</.exec(again.text)?.[1] ?? ''
    const guesser = request.agent(t.app.server)
    const form2 = await guesser.get(path2)
    const wrong2 = pin2 === '0000' ? '1111' : '0000'
    for (let i = 0; i < 4; i++) await guesser.post(path2).type('form').send({ _csrf: csrfOf(form2.text), pin: wrong2 }).expect(401)
    expect((await guesser.post(path2).type('form').send({ _csrf: csrfOf(form2.text), pin: wrong2 }).expect(410)).text).toContain('linket er låst')
    await guesser.post(path2).type('form').send({ _csrf: csrfOf(form2.text), pin: pin2 }).expect(410)
    // Guesses sent side by side cannot get past the limit either.
    const third = await leader.post(`/tjek-ind/${t.meetingId}/link`).type('form').send({ _csrf: csrfOf(sheet.text) }).expect(200)
    const path3 = new URL(/(http:\/\/[^<\s]+\/tjek-ind\/adgang\/[A-Za-z0-9_-]+)/.exec(third.text)?.[1] ?? '').pathname
    const pin3 = /class="door-pin-shown">(\d{4})</.exec(third.text)?.[1] ?? ''
    const owner = request.agent(t.app.server)
    const ownerForm = await owner.get(path3)
    await owner.post(path3).type('form').send({ _csrf: csrfOf(ownerForm.text), pin: pin3 }).expect(303)
    const wrong3 = pin3 === '0000' ? '1111' : '0000'
    const form3 = await guesser.get(path3)
    await Promise.all(Array.from({ length: 12 }, async () => await guesser.post(path3).type('form').send({ _csrf: csrfOf(form3.text), pin: wrong3 })))
    const link3 = await t.db.selectFrom('checkin_links').select('failed_attempts').orderBy('id', 'desc').executeTakeFirstOrThrow()
    expect(link3.failed_attempts).toBe(5)
    // The tablet that opened it before keeps working; new ones are refused.
    await owner.get(`/tjek-ind/${t.meetingId}`).expect(200)
    // (The rate limit of 20 PIN tries per 15 minutes from one address may answer first.)
    expect([410, 429]).toContain((await guesser.post(path3).type('form').send({ _csrf: csrfOf(form3.text), pin: pin3 })).status)
    // Leaders can stop a link.
    const links = await t.db.selectFrom('checkin_links').select('id').execute()
    await leader.post(`/tjek-ind/${t.meetingId}/link/${links[1]!.id}/stop`).type('form').send({ _csrf: csrfOf(sheet.text) }).expect(303)
    expect((await t.db.selectFrom('checkin_links').select('revoked_at').where('id', '=', links[1]!.id).executeTakeFirstOrThrow()).revoked_at).not.toBeNull()
  })

  it('shows the QR code and short code on the booking page, and attaches the QR code to the confirmation e-mail', async () => {
    const t = await setUp()
    const token = (await t.db.selectFrom('bookings').select('token').where('id', '=', t.grethe.id).executeTakeFirstOrThrow()).token
    const page = await request(t.app.server).get(`/tilmelding/${token}`).expect(200)
    expect(page.text).toContain('<svg role="img" aria-label="QR-kode til at tjekke ind"')
    expect(page.text).toContain(`${t.grethe.checkin_code.slice(0, 3)} ${t.grethe.checkin_code.slice(3)}`)
    const row = await t.db.selectFrom('outbox').select('id').where('booking_id', '=', t.grethe.id).where('kind', '=', 'booking_confirmed').where('recipient', '=', 'grethe@example.dk').executeTakeFirstOrThrow()
    const leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const detail = await leader.get(`/personale/beskeder/${row.id}`).expect(200)
    expect(detail.text).toContain('qr-kode.png')
    const html = await leader.get(`/personale/beskeder/${row.id}/html`).expect(200)
    expect(html.text).toContain('src="data:image/png;base64,')
  })

  it('makes exactly one of 100 simultaneous check-ins over HTTP the 3,000th', async () => {
    const t = await buildTestApp()
    await createStaff(t.db, 'leader', 'leder@bib.dk')
    await seedEarlierParticipants(t.db, 2999)
    const { classId, meetingId } = await createClassToday(t.db, { capacity: 100 })
    for (let i = 0; i < 100; i++) await bookSeat(t.db, CITIZEN, classId, bookingInput({ name: `Deltager ${i}`, phone: `+45300000${String(i).padStart(2, '0')}` }), { source: 'phone', now: earlier })
    const ids = (await t.db.selectFrom('bookings').select('id').where('class_id', '=', classId).execute()).map(r => r.id)
    // Two volunteers' tablets, each sending single taps at the same moment.
    const agents: Array<Awaited<ReturnType<typeof signedInAgent>>> = []
    for (const email of ['frida@bib.dk', 'ole@bib.dk']) {
      const login = await createStaff(t.db, 'volunteer', email)
      const id = await staffIdOf(t.db, email)
      await assignToClass(t.db, asStaff(id), classId, id, 'helper')
      agents.push(await signedInAgent(t.app, login))
    }
    const tokens = await Promise.all(agents.map(async a => csrfOf((await a.get(`/tjek-ind/${meetingId}`)).text)))
    const responses = await Promise.all(ids.map((id, i) => agents[i % 2]!.post(`/tjek-ind/${meetingId}/synk`).send({ _csrf: tokens[i % 2], actions: [{ key: `rush-${String(id).padStart(8, '0')}`, type: 'in', bookingId: id }] })))
    expect(responses.every(r => r.status === 200)).toBe(true)
    const winners = responses.flatMap(r => r.body.results as Array<{ name: string, milestones: Array<{ number: number }> }>).filter(r => r.milestones.some(m => m.number === 3000))
    expect(winners).toHaveLength(1)
    expect(await t.db.selectFrom('outbox').select('recipient').where('kind', '=', 'milestone').execute()).toEqual([{ recipient: 'leder@bib.dk' }])
    const page = await agents[0]!.get(`/tjek-ind/${meetingId}`)
    expect(page.text).toContain('<strong data-count>100</strong> af <span data-total>100</span>')
  })
})
