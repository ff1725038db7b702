import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { recordWaitlistCall } from '../../server/services/booking-service.ts'
import { inviteStaffUser } from '../../server/services/staff-service.ts'
import { bookingInput, bookNew, createClass, createStaff, staffIdOf, asStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, openBookingForm, signedInAgent, type TestApp } from '../helpers/http.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

/** A citizen's browser on a private booking page: the cookie and CSRF token of its "Afmeld" form. */
async function openCancelForm (t: TestApp, token: string): Promise<{ cookie: string, csrf: string }> {
  const res = await request(t.app.server).get(`/tilmelding/${token}/afmeld`).expect(200)
  const cookie = (res.headers['set-cookie'] as unknown as string[] | undefined)?.map(c => c.split(';')[0]).join('; ') ?? ''
  return { cookie, csrf: csrfOf(res.text) }
}

async function postCancel (t: TestApp, token: string, form: { cookie: string, csrf: string }) {
  return await request(t.app.server).post(`/tilmelding/${token}/afmeld`).set('cookie', form.cookie).type('form').send({ _csrf: form.csrf })
}

/** What the citizen reads after pressing "Afmeld": the page the answer leads to, or the answer itself. */
async function pageAfter (t: TestApp, res: request.Response): Promise<string> {
  if (res.status !== 303) return res.text
  return (await request(t.app.server).get(res.headers.location ?? '')).text
}

async function liveBookingsOf (t: TestApp, participantId: number): Promise<number> {
  const rows = await t.db.selectFrom('bookings').select('id').where('participant_id', '=', participantId).where('status', 'in', ['confirmed', 'waitlisted']).execute()
  return rows.length
}

describe('an invitation link is used once, even by four requests at the same moment', () => {
  let t: TestApp
  beforeEach(async () => { t = await buildTestApp() })
  afterEach(async () => { await t.app.close() })

  it('sets one password and signs in one browser; the other three get a Danish 4xx page', async () => {
    const admin = await createStaff(t.db, 'admin')
    const { token } = await inviteStaffUser(t.db, asStaff(await staffIdOf(t.db, admin.email)), { email: 'frida@bib.dk', name: 'Frida Frivillig', role: 'volunteer' })
    const usersBefore = (await t.db.selectFrom('staff_users').select('id').execute()).length
    const link = `/personale/invitation/${token}`
    const browsers = await Promise.all([0, 1, 2, 3].map(async () => {
      const agent = request.agent(t.app.server)
      return { agent, csrf: csrfOf((await agent.get(link).expect(200)).text) }
    }))

    const answers = await Promise.all(browsers.map(async ({ agent, csrf }, i) => {
      const password = `adgangskode nummer ${i} er lang nok`
      return await agent.post(link).type('form').send({ _csrf: csrf, password, password_repeat: password })
    }))

    const statuses = answers.map(a => a.status)
    expect(statuses.filter(s => s === 303)).toHaveLength(1)
    const refused = answers.filter(a => a.status !== 303)
    for (const answer of refused) {
      expect(answer.status).toBeGreaterThanOrEqual(400)
      expect(answer.status).toBeLessThan(500)
      expect(answer.text).toContain('Invitationen er brugt eller udløbet')
    }
    // Only the browser that won is signed in, and only its password works.
    const winner = statuses.indexOf(303)
    for (const [i, { agent }] of browsers.entries()) {
      const home = await agent.get('/personale')
      if (i === winner) expect(home.status).toBe(200)
      else expect(home.status).not.toBe(200)
    }
    await signedInAgent(t.app, { email: 'frida@bib.dk', password: `adgangskode nummer ${winner} er lang nok` })
    expect((await t.db.selectFrom('staff_users').select('id').execute()).length).toBe(usersBefore)
    const accepted = await t.db.selectFrom('audit_log').select('id').where('action', '=', 'staff_invitation_accepted').execute()
    expect(accepted).toHaveLength(1)
  })
})

describe('a citizen cancels while staff move the booking to another class', () => {
  let t: TestApp
  beforeEach(async () => { t = await buildTestApp() })
  afterEach(async () => { await t.app.close() })

  let people = 0
  async function bookAndPrepare () {
    people++
    const from = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const to = await createClass(t.db, { meetings: ['2030-03-12T10:00'] })
    const { token } = await bookNew(t.db, CITIZEN, from, bookingInput({ name: `Inger Lund ${people}`, phone: String(23456700 + people) }), { source: 'online', now: new Date('2030-01-01T10:00:00Z') })
    const booking = await t.db.selectFrom('bookings').select(['id', 'participant_id']).where('token', '=', token).executeTakeFirstOrThrow()
    return { from, to, token, booking }
  }

  it('after a move, the old link says where the booking went and never "afmeldt"', async () => {
    const staff = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const { to, token, booking } = await bookAndPrepare()
    const citizen = await openCancelForm(t, token)

    const page = await staff.get(`/personale/tilmeldinger/${booking.id}`).expect(200)
    await staff.post(`/personale/tilmeldinger/${booking.id}/flyt`).type('form').send({ _csrf: csrfOf(page.text), target: String(to) }).expect(303)

    const answer = await postCancel(t, token, citizen)
    expect(answer.status).toBeLessThan(500)
    const text = await pageAfter(t, answer)
    expect(text).not.toContain('Du er nu afmeldt')
    expect(text).not.toContain('Tilmeldingen er afmeldt')
    expect(text).toContain('Din tilmelding er flyttet til et andet hold')
    const moved = await t.db.selectFrom('bookings').select('token').where('class_id', '=', to).executeTakeFirstOrThrow()
    expect(text).toContain(`/tilmelding/${moved.token}`)
    expect(await liveBookingsOf(t, booking.participant_id)).toBe(1)

    // The old link itself, opened later, tells the same truth.
    const old = await request(t.app.server).get(`/tilmelding/${token}`).expect(200)
    expect(old.text).toContain('Din tilmelding er flyttet til et andet hold')
    expect(old.text).not.toContain('Tilmeldingen er afmeldt')
  })

  it('at the same moment: "afmeldt" is shown only when no live booking remains', async () => {
    const staff = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    for (let round = 0; round < 6; round++) {
      const { to, token, booking } = await bookAndPrepare()
      const citizen = await openCancelForm(t, token)
      const page = await staff.get(`/personale/tilmeldinger/${booking.id}`).expect(200)

      const cancelling = async () => await postCancel(t, token, citizen)
      const moving = async () => await staff.post(`/personale/tilmeldinger/${booking.id}/flyt`).type('form').send({ _csrf: csrfOf(page.text), target: String(to) })
      // Which request reaches the database first is up to the server; alternate who starts first.
      const [cancel, move] = round % 2 === 0
        ? await Promise.all([cancelling(), moving()])
        : await Promise.all([moving(), cancelling()]).then(([m, c]) => [c, m] as const)
      expect(cancel.status).toBeLessThan(500)
      expect(move.status).toBeLessThan(500)
      const text = await pageAfter(t, cancel)
      const live = await liveBookingsOf(t, booking.participant_id)
      if (text.includes('Du er nu afmeldt')) expect(live).toBe(0)
      else expect(text).toContain('Din tilmelding er flyttet til et andet hold')
      expect(live).toBe(move.status === 303 ? 1 : 0)
    }
  })
})

describe('bookings of a class that has ended cannot be cancelled', () => {
  let t: TestApp
  beforeEach(async () => { t = await buildTestApp() })
  afterEach(async () => { await t.app.close() })

  async function endedBooking () {
    const classId = await createClass(t.db, { meetings: ['2024-03-05T10:00', '2024-03-12T10:00'] })
    const { token } = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Bent Holm', phone: '34567890' }), { source: 'online', now: new Date('2024-02-01T10:00:00Z') })
    const booking = await t.db.selectFrom('bookings').select(['id', 'status']).where('token', '=', token).executeTakeFirstOrThrow()
    expect(booking.status).toBe('confirmed')
    return { classId, token, bookingId: booking.id }
  }

  const statusOf = async (id: number) => (await t.db.selectFrom('bookings').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status

  it('by the citizen: the page offers no button, and a posted form is refused in Danish', async () => {
    const { token, bookingId } = await endedBooking()
    const page = await request(t.app.server).get(`/tilmelding/${token}/afmeld`)
    expect(page.text).toContain('Holdet er slut')
    expect(page.text).not.toContain('Ja, afmeld mig')

    // A form opened before the class ended is posted anyway (any page's CSRF token will do).
    const form = await openBookingForm(t.app, await createClass(t.db, { meetings: ['2030-03-12T10:00'] }))
    const answer = await postCancel(t, token, form)
    expect(answer.status).toBe(409)
    expect(answer.text).toContain('Holdet er slut')
    expect(answer.text).not.toContain('Du er nu afmeldt')
    expect(await statusOf(bookingId)).toBe('confirmed')
  })

  it('by staff: the class page offers no button, and a posted form is refused in Danish', async () => {
    const staff = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const { classId, bookingId } = await endedBooking()
    const page = await staff.get(`/personale/hold/${classId}`).expect(200)
    expect(page.text).not.toContain(`/personale/tilmeldinger/${bookingId}/afmeld`)

    const answer = await staff.post(`/personale/tilmeldinger/${bookingId}/afmeld`).type('form').send({ _csrf: csrfOf(page.text), bekraeft: 'ja' })
    expect(answer.status).toBe(409)
    expect(answer.text).toContain('Holdet er slut')
    expect(await statusOf(bookingId)).toBe('confirmed')

    // Moving it away would cancel it on the ended class just the same.
    const target = await createClass(t.db, { meetings: ['2030-03-12T10:00'] })
    const moved = await staff.post(`/personale/tilmeldinger/${bookingId}/flyt`).type('form').send({ _csrf: csrfOf(page.text), target: String(target) })
    expect(moved.status).toBe(409)
    expect(moved.text).toContain('Holdet er slut')
    expect(await statusOf(bookingId)).toBe('confirmed')
  })

  it('by staff cancelling the whole class, by the API, or by closing the waiting list afterwards', async () => {
    const staff = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const { classId, bookingId } = await endedBooking()
    const page = await staff.get(`/personale/hold/${classId}`).expect(200)
    expect(page.text).not.toContain(`/personale/hold/${classId}/aflys`)
    const answer = await staff.post(`/personale/hold/${classId}/aflys`).type('form').send({ _csrf: csrfOf(page.text), bekraeft: 'ja' })
    expect(answer.status).toBe(409)
    expect(answer.text).toContain('Holdet er slut')
    expect(await statusOf(bookingId)).toBe('confirmed')
    const cls = await t.db.selectFrom('classes').select('cancelled_at').where('id', '=', classId).executeTakeFirstOrThrow()
    expect(cls.cancelled_at).toBeNull()

    const full = await createClass(t.db, { capacity: 1, meetings: ['2024-04-05T10:00'] })
    await bookNew(t.db, CITIZEN, full, bookingInput({ name: 'Første', phone: '11111111' }), { source: 'online', now: new Date('2024-03-01T10:00:00Z') })
    const { token } = await bookNew(t.db, CITIZEN, full, bookingInput({ name: 'Venter', phone: '22222222' }), { source: 'online', now: new Date('2024-03-01T10:00:00Z') })
    const waiting = await t.db.selectFrom('bookings').select('id').where('token', '=', token).executeTakeFirstOrThrow()
    const leaderId = await staffIdOf(t.db, (await createStaff(t.db, 'leader')).email)
    await expect(recordWaitlistCall(t.db, asStaff(leaderId), waiting.id, 'declined')).rejects.toMatchObject({ code: 'class_ended' })
    expect(await statusOf(waiting.id)).toBe('waitlisted')
  })
})

describe('ticking "ringet" on the call list with ids that do not fit', () => {
  let t: TestApp
  beforeEach(async () => { t = await buildTestApp() })
  afterEach(async () => { await t.app.close() })

  it('answers an unknown booking, an unknown meeting and a meeting of another class with a Danish 4xx, and writes nothing', async () => {
    const staff = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const classId = await createClass(t.db, { meetings: ['2030-04-01T10:00'] })
    const other = await createClass(t.db, { meetings: ['2030-04-02T10:00'] })
    await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Poul Phone', phone: '12345678' }), { source: 'phone', now: new Date('2030-03-01T10:00:00Z') })
    const booking = await t.db.selectFrom('bookings').select('id').where('class_id', '=', classId).executeTakeFirstOrThrow()
    const otherMeeting = await t.db.selectFrom('meetings').select('id').where('class_id', '=', other).executeTakeFirstOrThrow()
    const meeting = await t.db.selectFrom('meetings').select('id').where('class_id', '=', classId).executeTakeFirstOrThrow()
    const page = await staff.get('/personale/ringeliste?dag=2030-03-30').expect(200)
    const count = async (table: 'reminder_calls' | 'audit_log') => Number((await t.db.selectFrom(table).select(eb => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
    const before = { calls: await count('reminder_calls'), audit: await count('audit_log') }

    const cases = [
      { booking_id: '999999', meeting_id: String(meeting.id), says: 'Vi kan ikke finde tilmeldingen' },
      { booking_id: String(booking.id), meeting_id: '999999', says: 'Vi kan ikke finde den mødegang' },
      { booking_id: String(booking.id), meeting_id: String(otherMeeting.id), says: 'Personen er ikke tilmeldt dette hold' }
    ]
    for (const c of cases) {
      const answer = await staff.post('/personale/ringeliste/ringet').type('form').send({ _csrf: csrfOf(page.text), dag: '2030-03-30', booking_id: c.booking_id, meeting_id: c.meeting_id, ringet: '1' })
      expect(answer.status, JSON.stringify(c)).toBeGreaterThanOrEqual(400)
      expect(answer.status, JSON.stringify(c)).toBeLessThan(500)
      expect(answer.text).toContain(c.says)
    }
    expect({ calls: await count('reminder_calls'), audit: await count('audit_log') }).toEqual(before)
  })
})
