import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bookingInput, bookNew, createClass, createLocation, createStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent, type TestApp } from '../helpers/http.ts'
import { insertPartner } from '../../server/repositories/partner-repository.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

const person = (n: number) => bookingInput({ name: `Deltager ${n}`, phone: `+45${60000000 + n}`, needsHearingLoop: n === 1 })

describe('planning classes', () => {
  let t: TestApp
  let agent: Awaited<ReturnType<typeof signedInAgent>>
  let library: number

  beforeAll(async () => {
    t = await buildTestApp()
    library = await createLocation(t.db, { name: 'Hovedbiblioteket' })
    agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
  })
  afterAll(async () => { await t.app.close() })

  async function post (path: string, fields: Record<string, string>) {
    const form = await agent.get(path.endsWith('/ret') ? path : '/personale/hold/ny')
    return await agent.post(path).type('form').send({ _csrf: csrfOf(form.text), ...fields })
  }

  it('explains every mistake in the form next to its field and keeps the values', async () => {
    const res = await post('/personale/hold/ny', {
      course: '',
      location: String(library),
      capacity: 'mange',
      is_public: '1',
      meeting_date_1: '2030-03-05',
      meeting_start_1: '12.00',
      meeting_end_1: '10.00',
      meeting_date_2: '2020-01-01',
      meeting_start_2: '10:00',
      meeting_end_2: '12:00',
      meeting_date_3: '5/3',
      meeting_start_3: '10',
      meeting_end_3: ''
    })
    expect(res.status).toBe(400)
    expect(res.text).toContain('Vælg et kursus fra kataloget.')
    expect(res.text).toContain('Skriv antal pladser som et tal fra 1 til 500.')
    expect(res.text).toContain('Mødegang 1: slut skal være efter start.')
    expect(res.text).toContain('Mødegang 2: tidspunktet er allerede passeret.')
    expect(res.text).toContain('Mødegang 3: skriv datoen som åååå-mm-dd')
    expect(res.text).toContain('value="mange"')
    expect(res.text).toContain('value="2030-03-05"')
    expect(res.text).toContain(`<option value="${library}" selected>`)
  })

  it('refuses overlapping meetings and an archived partner or place, but keeps those a class already has', async () => {
    const now = new Date().toISOString()
    const closed = await insertPartner(t.db, { name: 'Lukket klub', contact: null, note: null, archived_at: now, created_at: now })
    const open = await insertPartner(t.db, { name: 'Åben klub', contact: null, note: null, archived_at: null, created_at: now })
    const closedPlace = await createLocation(t.db, { name: 'Lukket filial', archived_at: now })
    const branch = await createLocation(t.db, { name: 'Filialen' })
    const fields = { course: 'digital-post-laes-og-svar', location: String(branch), capacity: '10', meeting_date_1: '2030-02-05', meeting_start_1: '10.00', meeting_end_1: '12.00' }

    const overlap = await post('/personale/hold/ny', { ...fields, meeting_date_2: '2030-02-05', meeting_start_2: '11.00', meeting_end_2: '13.00' })
    expect(overlap.status).toBe(400)
    expect(overlap.text).toContain('To mødegange overlapper hinanden.')
    const archived = await post('/personale/hold/ny', { ...fields, partner: String(closed) })
    expect(archived.status).toBe(400)
    expect(archived.text).toContain('Partneren er arkiveret. Vælg en anden partner, eller ingen.')
    const archivedPlace = await post('/personale/hold/ny', { ...fields, location: String(closedPlace) })
    expect(archivedPlace.status).toBe(400)
    expect(archivedPlace.text).toContain('Stedet er arkiveret. Vælg et andet sted.')

    const created = await post('/personale/hold/ny', { ...fields, partner: String(open) })
    expect(created.status).toBe(303)
    const id = Number(/\/personale\/hold\/(\d+)/.exec(String(created.headers.location))?.[1])
    await t.db.updateTable('partners').set({ archived_at: now }).where('id', '=', open).execute()
    const form = await agent.get(`/personale/hold/${id}/ret`)
    expect(form.text).toContain(`<option value="${open}" selected>Åben klub</option>`)
    expect(form.text).not.toContain('Lukket klub')
    const edit = (partner: number) => agent.post(`/personale/hold/${id}/ret`).type('form').send({
      _csrf: csrfOf(form.text),
      ...fields,
      capacity: '11',
      partner: String(partner),
      version: /name="version" value="(\d+)"/.exec(form.text)?.[1] ?? '',
      meeting_id_1: /name="meeting_id_1" value="(\d+)"/.exec(form.text)?.[1] ?? ''
    })
    expect((await edit(closed)).status).toBe(400)
    expect((await edit(open)).status).toBe(303)
    expect(await t.db.selectFrom('classes').select(['capacity', 'partner_id']).where('id', '=', id).executeTakeFirstOrThrow()).toEqual({ capacity: 11, partner_id: open })
  })

  it('creates a class with two meetings that citizens can book at once', async () => {
    const res = await post('/personale/hold/ny', {
      course: 'digital-post-laes-og-svar',
      location: String(library),
      capacity: '10',
      is_public: '1',
      note: 'Der er kaffe.',
      meeting_date_1: '2030-03-05',
      meeting_start_1: '10.00',
      meeting_end_1: '12.00',
      meeting_date_2: '2030-03-12',
      meeting_start_2: '10:00',
      meeting_end_2: '12:00'
    })
    expect(res.status).toBe(303)
    const id = Number(/\/personale\/hold\/(\d+)/.exec(res.headers.location ?? '')?.[1])
    const page = await agent.get(res.headers.location ?? '').expect(200)
    expect(page.text).toContain('Holdet er oprettet.')
    expect(page.text).toContain('Tirsdag 5. marts 2030 kl. 10.00–12.00')

    const publicPage = await request(t.app.server).get(`/hold/${id}`).expect(200)
    expect(publicPage.text).toContain('Tirsdag 12. marts 2030 kl. 10.00–12.00')
    expect(publicPage.text).toContain('Der er kaffe.')
    expect((await request(t.app.server).get('/')).text).toContain(`href="/hold/${id}"`)
    const audit = await t.db.selectFrom('audit_log').select('action').where('subject_type', '=', 'class').where('subject_id', '=', id).execute()
    expect(audit.map(a => a.action)).toEqual(['class_created'])
  })

  it('repeats a class every week for N weeks at the same local time, across the change to summer time', async () => {
    const res = await post('/personale/hold/ny', {
      course: 'mitid-appen',
      location: String(library),
      capacity: '8',
      is_public: '1',
      repeat_weeks: '3',
      meeting_date_1: '2030-03-19',
      meeting_start_1: '10.00',
      meeting_end_1: '12.00'
    })
    expect(res.status).toBe(303)
    expect(res.headers.location).toMatch(/oprettet=3$/)
    const rows = await t.db.selectFrom('classes').innerJoin('meetings', 'meetings.class_id', 'classes.id')
      .select(['meetings.starts_at']).where('classes.course_slug', '=', 'mitid-appen').orderBy('meetings.starts_at').execute()
    // 10:00 in Copenhagen: 09:00 UTC in winter time, 08:00 UTC after 31 March 2030.
    expect(rows.map(r => r.starts_at)).toEqual(['2030-03-19T09:00:00.000Z', '2030-03-26T09:00:00.000Z', '2030-04-02T08:00:00.000Z'])
  })

  it('gives new seats to the waiting list in order, and never removes a seat when capacity goes down', async () => {
    const id = await createClass(t.db, { locationId: library, capacity: 2, meetings: ['2030-05-06T10:00', '2030-05-13T10:00'] })
    const outcomes = []
    for (let i = 1; i <= 5; i++) outcomes.push(await bookNew(t.db, CITIZEN, id, person(i), { source: 'online' }))
    const meetingIds = (await t.db.selectFrom('meetings').select('id').where('class_id', '=', id).orderBy('starts_at').execute()).map(m => m.id)

    // The form's hidden fields: the version it was opened at, and each meeting's id.
    const hidden = (html: string) => Object.fromEntries([...html.matchAll(/type="hidden" name="(version|meeting_id_\d+)" value="(\d*)"/g)].map(m => [m[1], m[2]]))
    const edit = await agent.get(`/personale/hold/${id}/ret`).expect(200)
    expect(edit.text).toContain('value="2030-05-06"')
    expect(hidden(edit.text)).toMatchObject({ meeting_id_1: String(meetingIds[0]), meeting_id_2: String(meetingIds[1]) })
    const up = await agent.post(`/personale/hold/${id}/ret`).type('form').send({
      ...hidden(edit.text),
      _csrf: csrfOf(edit.text),
      course: 'mitid-kom-godt-i-gang',
      location: String(library),
      capacity: '4',
      is_public: '1',
      meeting_date_1: '2030-05-06',
      meeting_start_1: '10:00',
      meeting_end_1: '12:00',
      meeting_date_2: '2030-05-13',
      meeting_start_2: '10:30',
      meeting_end_2: '12:30'
    })
    expect(up.status).toBe(303)
    expect(up.headers.location).toContain('rykket=2')
    const statuses = await t.db.selectFrom('bookings').select(['token', 'status']).where('class_id', '=', id).orderBy('id').execute()
    expect(statuses.map(s => s.status)).toEqual(['confirmed', 'confirmed', 'confirmed', 'confirmed', 'waitlisted'])
    expect((await t.db.selectFrom('meetings').select('id').where('class_id', '=', id).orderBy('starts_at').execute()).map(m => m.id)).toEqual(meetingIds)

    const again = await agent.get(`/personale/hold/${id}/ret`).expect(200)
    const fewer = {
      ...hidden(again.text),
      _csrf: csrfOf(again.text),
      course: 'mitid-kom-godt-i-gang',
      location: String(library),
      capacity: '1',
      is_public: '1',
      meeting_date_1: '2030-05-06',
      meeting_start_1: '10:00',
      meeting_end_1: '12:00'
    }
    // Fewer seats than people with one only by an explicit choice.
    const refused = await agent.post(`/personale/hold/${id}/ret`).type('form').send(fewer)
    expect(refused.status).toBe(409)
    expect(refused.text).toContain('4 har allerede en plads')
    const down = await agent.post(`/personale/hold/${id}/ret`).type('form').send({ ...fewer, capacity_below_seats: '1' })
    expect(down.status).toBe(303)
    const after = await t.db.selectFrom('bookings').select('status').where('class_id', '=', id).execute()
    expect(after.filter(b => b.status === 'confirmed')).toHaveLength(4)
    expect((await t.db.selectFrom('meetings').select('id').where('class_id', '=', id).execute()).map(m => m.id)).toEqual([meetingIds[0]])
    // Booking is closed: the next person goes on the waiting list.
    expect((await bookNew(t.db, CITIZEN, id, person(9), { source: 'online' })).status).toBe('waitlisted')

    const page = await agent.get(`/personale/hold/${id}`).expect(200)
    expect(page.text).toContain('Deltager 1')
    expect(page.text).toContain('Teleslynge')
    expect(page.text).toContain('Venteliste nr. 1')
    expect(page.text).toContain('Venteliste nr. 2')
    expect(page.text).toContain('4 af 1 er optaget')
  })

  it('hides, shows and cancels a class; a cancelled class keeps its bookings, cancelled by the organiser', async () => {
    const id = await createClass(t.db, { locationId: library, capacity: 1, meetings: ['2030-06-03T10:00'] })
    await bookNew(t.db, CITIZEN, id, person(20), { source: 'online' })
    await bookNew(t.db, CITIZEN, id, person(21), { source: 'online' })
    const page = await agent.get(`/personale/hold/${id}`)
    await agent.post(`/personale/hold/${id}/synlighed`).type('form').send({ _csrf: csrfOf(page.text), public: '0' }).expect(303)
    expect((await request(t.app.server).get('/')).text).not.toContain(`href="/hold/${id}"`)
    expect((await request(t.app.server).get(`/hold/${id}`)).status).toBe(404)
    await agent.post(`/personale/hold/${id}/synlighed`).type('form').send({ _csrf: csrfOf(page.text), public: '1' }).expect(303)
    expect((await request(t.app.server).get('/')).text).toContain(`href="/hold/${id}"`)

    const confirm = await agent.get(`/personale/hold/${id}/aflys`).expect(200)
    expect(confirm.text).toContain('1 har en plads, og 1 står på ventelisten')
    await agent.post(`/personale/hold/${id}/aflys`).type('form').send({ _csrf: csrfOf(confirm.text), bekraeft: 'ja' }).expect(303)
    const bookings = await t.db.selectFrom('bookings').select(['status', 'cancelled_by']).where('class_id', '=', id).execute()
    expect(bookings).toEqual([{ status: 'cancelled', cancelled_by: 'organiser' }, { status: 'cancelled', cancelled_by: 'organiser' }])
    expect((await request(t.app.server).get('/')).text).not.toContain(`href="/hold/${id}"`)
    expect((await request(t.app.server).get(`/hold/${id}`)).text).toContain('Holdet er aflyst.')
    expect((await agent.post(`/personale/hold/${id}/aflys`).type('form').send({})).status).toBe(403)
  })

  it('copies a class into a new form without its dates', async () => {
    const id = await createClass(t.db, { course: 'spot-svindel-falske-beskeder-og-opkald', locationId: library, capacity: 15, meetings: ['2030-06-10T13:30'] })
    const copy = await agent.get(`/personale/hold/ny?kopi=${id}`).expect(200)
    expect(copy.text).toContain('<option value="spot-svindel-falske-beskeder-og-opkald" selected>')
    expect(copy.text).toContain('value="15"')
    expect(copy.text).not.toContain('value="2030-06-10"')
  })
})

describe('week view and staff catalogue', () => {
  it('shows a week of meetings by day, and each course with its classes', async () => {
    const t = await buildTestApp()
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const library = await createLocation(t.db, { name: 'Hovedbiblioteket' })
    const id = await createClass(t.db, { course: 'digital-post-laes-og-svar', locationId: library, capacity: 6, meetings: ['2030-03-05T10:00', '2030-03-12T10:00'] })
    const week = await agent.get('/personale/uge?fra=2030-03-06').expect(200)
    expect(week.text).toContain('Uge 10, 2030')
    expect(week.text).toContain('Tirsdag 5. marts')
    expect(week.text).toContain(`href="/personale/hold/${id}"`)
    expect(week.text).toContain('10.00–12.00')
    expect(week.text).toContain('fra=2030-03-11')
    const empty = await agent.get('/personale/uge?fra=2031-01-06').expect(200)
    expect(empty.text).not.toContain(`href="/personale/hold/${id}"`)
    expect((await agent.get('/personale/uge?fra=nonsens')).status).toBe(200)

    const catalogue = await agent.get('/personale/kurser').expect(200)
    expect(catalogue.text).toContain('href="/personale/kurser/digital-post-laes-og-svar"')
    const course = await agent.get('/personale/kurser/digital-post-laes-og-svar').expect(200)
    expect(course.text).toContain(`href="/personale/hold/${id}"`)
    expect(course.text).toContain('0 af 6')
    const form = await agent.get('/personale/hold/ny?kursus=digital-post-laes-og-svar').expect(200)
    expect(form.text).toContain('<option value="digital-post-laes-og-svar" selected>')
    await t.app.close()
  })
})
