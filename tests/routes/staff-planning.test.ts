import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CITIZEN } from '../../server/domain/actor.ts'
import { ZONE } from '../../server/domain/time.ts'
import { assignStaff } from '../../server/repositories/class-staff-repository.ts'
import request from 'supertest'
import { createApiToken } from '../../server/services/api-token-service.ts'
import { bookSeat } from '../../server/services/booking-service.ts'
import { bookingInput, createClass, createLocation, createStaff, staffIdOf, asStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent, type TestApp } from '../helpers/http.ts'

const idFrom = (location: string | undefined) => Number(/\/personale\/hold\/(\d+)/.exec(location ?? '')?.[1])

describe('planning a season: clashes, copies, the overview and a cancelled class', () => {
  let t: TestApp
  let agent: Awaited<ReturnType<typeof signedInAgent>>
  let library: number

  beforeAll(async () => {
    t = await buildTestApp()
    library = await createLocation(t.db, { name: 'Hovedbiblioteket', street: 'Tobaksgården 12', room: 'Mødelokale 2' })
    agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
  })
  afterAll(async () => { await t.app.close() })

  async function post (path: string, fields: Record<string, string>) {
    const form = await agent.get(path.endsWith('/ret') ? path : '/personale/hold/ny')
    return await agent.post(path).type('form').send({ _csrf: csrfOf(form.text), ...fields })
  }
  const plan = (fields: Record<string, string>) => ({ course: 'digital-post-laes-og-svar', location: String(library), capacity: '10', is_public: '1', ...fields })

  describe('a cancelled class', () => {
    it('keeps its participants on the class page, marked as cancelled by the organiser, with their phone', async () => {
      const id = await createClass(t.db, { meetings: ['2030-04-01T10:00'] })
      await bookSeat(t.db, CITIZEN, id, bookingInput({ name: 'Poul Telefon', phone: '+4512345678' }), { source: 'phone' })
      await bookSeat(t.db, CITIZEN, id, bookingInput({ name: 'Erna Email', email: 'erna@example.dk' }), { source: 'online' })
      const confirm = await agent.get(`/personale/hold/${id}/aflys`).expect(200)
      await agent.post(`/personale/hold/${id}/aflys`).type('form').send({ _csrf: csrfOf(confirm.text), bekraeft: 'ja' }).expect(303)

      const page = await agent.get(`/personale/hold/${id}`).expect(200)
      expect(page.text).toContain('Poul Telefon')
      expect(page.text).toContain('Erna Email')
      expect(page.text).toContain('12 34 56 78')
      expect(page.text.match(/Afmeldt af arrangøren/g)?.length).toBe(2)
      expect(page.text).toContain('1 har ingen e-mail')
      // Nothing to cancel on a cancelled booking.
      expect(page.text).not.toContain('>Afmeld<span class="sr-only"> Poul Telefon')
    })

    it('puts the people without e-mail on the call list, to be told the class is cancelled', async () => {
      const id = await createClass(t.db, { meetings: ['2030-04-01T10:00'] })
      await bookSeat(t.db, CITIZEN, id, bookingInput({ name: 'Aflyst Anna', phone: '+4512340000' }), { source: 'phone', now: new Date('2030-03-01T10:00:00Z') })
      await bookSeat(t.db, CITIZEN, id, bookingInput({ name: 'Aflyst Erik', email: 'erik@example.dk' }), { source: 'online', now: new Date('2030-03-01T10:00:00Z') })
      const confirm = await agent.get(`/personale/hold/${id}/aflys`).expect(200)
      await agent.post(`/personale/hold/${id}/aflys`).type('form').send({ _csrf: csrfOf(confirm.text), bekraeft: 'ja' }).expect(303)

      const list = await agent.get('/personale/ringeliste?dag=2030-03-30').expect(200)
      expect(list.text).toContain('Aflyst Anna')
      expect(list.text).toContain('Holdet er aflyst – ring og sig det')
      expect(list.text).not.toContain('Aflyst Erik')
    })

    it('puts them on today\'s list when the class is cancelled after their reminder day', async () => {
      const soon = DateTime.now().setZone(ZONE).plus({ hours: 1 }).startOf('minute').toISO({ includeOffset: false }) as string
      const classId = await createClass(t.db, { meetings: [soon] })
      await bookSeat(t.db, CITIZEN, classId, bookingInput({ name: 'Sidste Øjeblik', phone: '+4512340001' }), { source: 'phone', now: new Date(Date.now() - 5 * 24 * 3600_000) })
      const confirm = await agent.get(`/personale/hold/${classId}/aflys`).expect(200)
      await agent.post(`/personale/hold/${classId}/aflys`).type('form').send({ _csrf: csrfOf(confirm.text), bekraeft: 'ja' }).expect(303)
      const list = await agent.get('/personale/ringeliste').expect(200)
      expect(list.text).toContain('Sidste Øjeblik')
      expect(list.text).toContain('Holdet er aflyst – ring og sig det')
    })
  })

  describe('clashes', () => {
    it('refuses a second class in the same room at the same time unless the leader confirms; the values stay', async () => {
      const first = await post('/personale/hold/ny', plan({ meeting_date_1: '2031-03-04', meeting_start_1: '10.00', meeting_end_1: '12.00' }))
      expect(first.status).toBe(303)
      const before = await t.db.selectFrom('classes').select(eb => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()

      const clash = await post('/personale/hold/ny', plan({ capacity: '14', meeting_date_1: '2031-03-04', meeting_start_1: '11.00', meeting_end_1: '13.00' }))
      expect(clash.status).toBe(409)
      expect(clash.text).toContain('Lokalet er optaget')
      expect(clash.text).toContain('Digital Post')
      expect(clash.text).toContain('Ja, opret alligevel')
      expect(clash.text).toContain('value="14"')
      expect(clash.text).toContain('value="2031-03-04"')
      const after = await t.db.selectFrom('classes').select(eb => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
      expect(Number(after.n)).toBe(Number(before.n))

      const confirmKeys = /name="clash_ok" value="([^"]+)"/.exec(clash.text)?.[1]
      expect(confirmKeys).toBeTruthy()
      const anyway = await agent.post('/personale/hold/ny').type('form').send({ _csrf: csrfOf(clash.text), ...plan({ capacity: '14', meeting_date_1: '2031-03-04', meeting_start_1: '11.00', meeting_end_1: '13.00' }), clash_ok: confirmKeys })
      expect(anyway.status).toBe(303)
    })

    it('sees the same room text at the same address as the same room, and another room as free', async () => {
      const twin = await createLocation(t.db, { name: 'IT-caféen', street: 'Tobaksgården 12', room: 'Mødelokale 2' })
      const other = await createLocation(t.db, { name: 'Filialen', street: 'Søndergade 8', room: 'Mødelokale 2' })
      await post('/personale/hold/ny', plan({ meeting_date_1: '2031-04-01', meeting_start_1: '10.00', meeting_end_1: '12.00' })).then(r => expect(r.status).toBe(303))
      expect((await post('/personale/hold/ny', plan({ location: String(twin), meeting_date_1: '2031-04-01', meeting_start_1: '10.00', meeting_end_1: '12.00' }))).status).toBe(409)
      expect((await post('/personale/hold/ny', plan({ location: String(other), meeting_date_1: '2031-04-01', meeting_start_1: '10.00', meeting_end_1: '12.00' }))).status).toBe(303)
    })

    it('warns when editing moves a class onto another in the same room', async () => {
      await post('/personale/hold/ny', plan({ meeting_date_1: '2031-05-06', meeting_start_1: '10.00', meeting_end_1: '12.00' })).then(r => expect(r.status).toBe(303))
      const moved = await post('/personale/hold/ny', plan({ meeting_date_1: '2031-05-06', meeting_start_1: '13.00', meeting_end_1: '15.00' }))
      const id = idFrom(moved.headers.location)
      const form = await agent.get(`/personale/hold/${id}/ret`)
      const version = /name="version" value="(\d+)"/.exec(form.text)?.[1] ?? ''
      const meetingId = /name="meeting_id_1" value="(\d+)"/.exec(form.text)?.[1] ?? ''
      const edit = await agent.post(`/personale/hold/${id}/ret`).type('form').send({ _csrf: csrfOf(form.text), ...plan({ version, meeting_id_1: meetingId, meeting_date_1: '2031-05-06', meeting_start_1: '11.00', meeting_end_1: '13.00' }) })
      expect(edit.status).toBe(409)
      expect(edit.text).toContain('Ja, gem alligevel')
      // Its own meeting is no clash: saving it unchanged goes through.
      const same = await agent.post(`/personale/hold/${id}/ret`).type('form').send({ _csrf: csrfOf(form.text), ...plan({ version, meeting_id_1: meetingId, meeting_date_1: '2031-05-06', meeting_start_1: '13.00', meeting_end_1: '15.00' }) })
      expect(same.status).toBe(303)
    })

    it('warns when "repeat weekly" makes copies that overlap each other', async () => {
      const res = await post('/personale/hold/ny', plan({
        location: String(await createLocation(t.db)),
        ...{ meeting_date_1: '2031-06-03', meeting_start_1: '10.00', meeting_end_1: '12.00' },
        ...{ meeting_date_2: '2031-06-10', meeting_start_2: '10.00', meeting_end_2: '12.00' },
        repeat_weeks: '3'
      }))
      expect(res.status).toBe(409)
      expect(res.text).toContain('overlapper hinanden')
      expect(res.text).toContain('value="3"')
    })

    it('warns on the class page, and when assigning, about a person set to two places at once', async () => {
      const busy = await createStaff(t.db, 'volunteer', 'travl@bib.dk')
      const busyId = await staffIdOf(t.db, busy.email)
      const a = await createClass(t.db, { meetings: ['2031-09-02T10:00'], course: 'mitid-kom-godt-i-gang' })
      const b = await createClass(t.db, { meetings: ['2031-09-02T11:00'] })
      await assignStaff(t.db, a, busyId, 'helper')

      const page = await agent.get(`/personale/hold/${b}`).expect(200)
      expect(page.text).toMatch(/<option value="\d+">Test volunteer \(Frivillig\) – optaget på et andet hold samtidig<\/option>/)
      await agent.post(`/personale/hold/${b}/personale`).type('form').send({ _csrf: csrfOf(page.text), staff_user_id: String(busyId), task: 'helper' }).expect(303)
      const after = await agent.get(`/personale/hold/${b}`).expect(200)
      expect(after.text).toContain('Test volunteer er også sat på')
      expect(after.text).toContain(`href="/personale/hold/${a}"`)
    })
  })

  describe('copying a class', () => {
    it('moves every meeting forward by the chosen number of weeks, same weekday and time', async () => {
      const id = await createClass(t.db, { meetings: ['2031-01-07T10:00', '2031-01-14T10:00'] })
      const page = await agent.get(`/personale/hold/${id}`).expect(200)
      expect(page.text).toContain('Flyt alle mødegange')

      const copy = await agent.get(`/personale/hold/ny?kopi=${id}&uger=12`).expect(200)
      expect(copy.text).toContain('value="2031-04-01"')
      expect(copy.text).toContain('value="2031-04-08"')
      expect(copy.text).toContain('value="10:00"')
      expect(copy.text).toContain('12 uger frem')

      const blank = await agent.get(`/personale/hold/ny?kopi=${id}&uger=0`).expect(200)
      expect(blank.text).not.toContain('value="2031-01-07"')
      expect(blank.text).not.toContain('name="meeting_date_1" value="2031')
    })
  })

  describe('the overview', () => {
    it('filters by place, course and period, keeps the choices, and shows past classes', async () => {
      const branch = await createLocation(t.db, { name: 'Filial Nord' })
      const inBranch = await createClass(t.db, { locationId: branch, course: 'mitid-kom-godt-i-gang', meetings: ['2032-02-03T10:00'] })
      const otherCourse = await createClass(t.db, { locationId: branch, course: 'digital-post-laes-og-svar', meetings: ['2032-02-04T10:00'] })
      const later = await createClass(t.db, { locationId: branch, course: 'mitid-kom-godt-i-gang', meetings: ['2032-05-03T10:00'] })
      const elsewhere = await createClass(t.db, { course: 'mitid-kom-godt-i-gang', meetings: ['2032-02-03T10:00'] })
      const past = await createClass(t.db, { locationId: branch, course: 'mitid-kom-godt-i-gang', meetings: [DateTime.now().setZone(ZONE).minus({ days: 30 }).toFormat("yyyy-MM-dd'T'10:00")] })

      const all = await agent.get('/personale').expect(200)
      expect(all.text).toContain(`href="/personale/hold/${elsewhere}"`)
      expect(all.text).not.toContain(`href="/personale/hold/${past}"`)

      const res = await agent.get(`/personale?sted=${branch}&kursus=mitid-kom-godt-i-gang&fra=2032-02-01&til=2032-02-28`).expect(200)
      expect(res.text).toContain(`href="/personale/hold/${inBranch}"`)
      for (const id of [otherCourse, later, elsewhere, past]) expect(res.text).not.toContain(`href="/personale/hold/${id}"`)
      expect(res.text).toContain(`<option value="${branch}" selected>`)
      expect(res.text).toContain('<option value="mitid-kom-godt-i-gang" selected>')
      expect(res.text).toContain('value="2032-02-01"')
      expect(res.text).toContain('value="2032-02-28"')

      const pastRes = await agent.get(`/personale?sted=${branch}&vis=tidligere`).expect(200)
      expect(pastRes.text).toContain('Tidligere hold')
      expect(pastRes.text).toContain(`href="/personale/hold/${past}"`)
      expect(pastRes.text).not.toContain(`href="/personale/hold/${inBranch}"`)
      expect(pastRes.text).toMatch(/value="tidligere"[^>]*checked/)

      const none = await agent.get(`/personale?sted=${branch}&kursus=mitid-kom-godt-i-gang&fra=2040-01-01`).expect(200)
      expect(none.text).toContain('Ingen hold passer til dit valg')
      // Nonsense in the address is ignored, not a 500.
      await agent.get('/personale?sted=abc&kursus=%3Cx%3E&fra=i-morgen&vis=alt').expect(200)
    })
  })

  describe('through the API', () => {
    it('refuses a class in a taken room with 409 room_clash unless allowRoomClash, and never asks again for a change of seats', async () => {
      const room = await createLocation(t.db, { name: 'API-lokalet', street: 'Apivej 1', room: 'Sal 1' })
      await createClass(t.db, { locationId: room, meetings: ['2031-05-06T10:00'] })
      await createStaff(t.db, 'admin', 'api-planner@bib.dk')
      const token = (await createApiToken(t.db, asStaff(await staffIdOf(t.db, 'api-planner@bib.dk')), { name: 'Hjemmesiden', scopes: ['classes:write', 'classes:read'], expiresAt: '2099-01-01T00:00:00.000Z' })).token
      const body = { courseSlug: 'digital-post-laes-og-svar', locationId: room, capacity: 8, meetings: [{ start: '2031-05-06T10:30:00+02:00', end: '2031-05-06T12:00:00+02:00' }] }
      const api = () => request(t.app.server)
      const refused = await api().post('/api/v1/classes').set('authorization', `Bearer ${token}`).send(body)
      expect(refused.status).toBe(409)
      expect(refused.body.error.code).toBe('room_clash')
      expect(refused.body.error.details).toHaveLength(1)
      const allowed = await api().post('/api/v1/classes').set('authorization', `Bearer ${token}`).send({ ...body, allowRoomClash: true })
      expect(allowed.status).toBe(201)
      const seats = await api().patch(`/api/v1/classes/${allowed.body.id}`).set('authorization', `Bearer ${token}`).send({ capacity: 9 })
      expect(seats.status).toBe(200)
    })
  })
})
