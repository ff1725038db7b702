import { CITIZEN, SYSTEM } from '../../server/domain/actor.ts'
import { API_SCOPES } from '../../server/domain/api-token.ts'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiToken } from '../../server/services/api-token-service.ts'
import { bookSeat } from '../../server/services/booking-service.ts'
import { newCheckinKey, runCheckinAction } from '../../server/services/checkin-service.ts'
import { bookingInput, bookNew, createClass, createLocation, createStaff, staffIdOf, asStaff } from '../helpers/factories.ts'
import { buildTestApp, signedInAgent, type TestApp } from '../helpers/http.ts'

const person = (n: number) => bookingInput({ name: `Deltager ${n}`, phone: `+45${61000000 + n}` })
const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')

/** The fields a browser would post from the first form on the page, as they stand. */
function formFields (html: string): Record<string, string> {
  const form = /<form method="post"[\s\S]*?<\/form>/.exec(html.slice(html.indexOf('class="booking-form"') - 200))?.[0] ?? html
  const fields: Record<string, string> = {}
  for (const [tag] of form.matchAll(/<input\b[^>]*>/g)) {
    const name = /\bname="([^"]*)"/.exec(tag)?.[1]
    if (!name) continue
    const type = /\btype="([^"]*)"/.exec(tag)?.[1] ?? 'text'
    const value = unescape(/\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '')
    if ((type === 'checkbox' || type === 'radio') && !/\bchecked\b/.test(tag)) continue
    fields[name] = value
  }
  for (const [, name, options] of form.matchAll(/<select\b[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)) {
    fields[name!] = unescape(/<option value="([^"]*)" selected>/.exec(options!)?.[1] ?? '')
  }
  for (const [, name, text] of form.matchAll(/<textarea\b[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g)) fields[name!] = unescape(text!)
  return fields
}

/** The row (1, 2, …) of the edit form that shows the given date. */
const rowOf = (fields: Record<string, string>, date: string) => Number(Object.entries(fields).find(([k, v]) => k.startsWith('meeting_date_') && v === date)?.[0].slice('meeting_date_'.length))

describe('editing a class never moves or loses attendance, and is honest about concurrent changes', () => {
  let t: TestApp
  let leader: Awaited<ReturnType<typeof signedInAgent>>
  let otherLeader: Awaited<ReturnType<typeof signedInAgent>>

  beforeAll(async () => {
    t = await buildTestApp()
    leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    otherLeader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
  })
  afterAll(async () => { await t.app.close() })

  /** A place of its own for each class, so that planning never sees a clash of rooms here. */
  let places = 0
  const freshPlace = async () => await createLocation(t.db, { street: `Prøvevej ${++places}` })

  /** A class with three weekly meetings; Deltager 1 checked in at the given one (0, 1 or 2). */
  async function classWithAttendance (attended: number) {
    const classId = await createClass(t.db, { locationId: await freshPlace(), capacity: 5, meetings: ['2030-05-06T10:00', '2030-05-13T10:00', '2030-05-20T10:00'] })
    const booked = await bookNew(t.db, CITIZEN, classId, person(1), { source: 'online', now: new Date('2030-01-01T10:00:00Z') })
    const bookingId = (await t.db.selectFrom('bookings').select('id').where('token', '=', booked.token).executeTakeFirstOrThrow()).id
    const meetings = await t.db.selectFrom('meetings').selectAll().where('class_id', '=', classId).orderBy('starts_at').execute()
    const at = meetings[attended]!
    await runCheckinAction(t.db, SYSTEM, at.id, { key: newCheckinKey(), type: 'in', bookingId }, { now: new Date(Date.parse(at.starts_at) + 5 * 60_000) })
    return { classId, meetings }
  }
  const attendanceOf = async (classId: number) => await t.db.selectFrom('attendances').innerJoin('meetings', 'meetings.id', 'attendances.meeting_id')
    .select(['attendances.meeting_id', 'meetings.starts_at']).where('meetings.class_id', '=', classId).execute()
  const meetingsOf = async (classId: number) => await t.db.selectFrom('meetings').select(['id', 'starts_at', 'ends_at']).where('class_id', '=', classId).orderBy('id').execute()

  async function openEdit (agent: typeof leader, classId: number) {
    const page = await agent.get(`/personale/hold/${classId}/ret`).expect(200)
    return formFields(page.text)
  }
  const save = async (agent: typeof leader, classId: number, fields: Record<string, string>) => await agent.post(`/personale/hold/${classId}/ret`).type('form').send(fields)

  it('refuses to remove a meeting that has attendance, next to that meeting, keeping what was typed', async () => {
    for (const attended of [0, 2]) {
      const { classId, meetings } = await classWithAttendance(attended)
      const fields = await openEdit(leader, classId)
      const row = rowOf(fields, meetings[attended]!.starts_at.slice(0, 10))
      expect(row).toBeGreaterThan(0)
      const res = await save(leader, classId, { ...fields, note: 'Husk briller', [`meeting_date_${row}`]: '', [`meeting_start_${row}`]: '', [`meeting_end_${row}`]: '' })
      expect(res.status).toBe(409)
      expect(res.text).toContain(`Mødegang ${row}: der er registreret fremmøde`)
      expect(res.text).toContain(`id="f-meeting-${row}-error"`)
      expect(res.text).toContain('Husk briller')
      expect(await attendanceOf(classId)).toEqual([{ meeting_id: meetings[attended]!.id, starts_at: meetings[attended]!.starts_at }])
      expect(await meetingsOf(classId)).toEqual(meetings.map(m => ({ id: m.id, starts_at: m.starts_at, ends_at: m.ends_at })))
      expect((await t.db.selectFrom('classes').select('note').where('id', '=', classId).executeTakeFirstOrThrow()).note).toBeNull()
    }
  })

  it('keeps attendance on its own meeting when other meetings are removed or moved around', async () => {
    const { classId, meetings } = await classWithAttendance(1)
    const [first, attended, third] = meetings as [typeof meetings[0], typeof meetings[0], typeof meetings[0]]
    // Move the first meeting to after the last: the order of the rows changes.
    let fields = await openEdit(leader, classId)
    let res = await save(leader, classId, { ...fields, [`meeting_date_${rowOf(fields, '2030-05-06')}`]: '2030-05-27' })
    expect(res.status).toBe(303)
    expect(await attendanceOf(classId)).toEqual([{ meeting_id: attended.id, starts_at: attended.starts_at }])
    expect((await meetingsOf(classId)).map(m => m.id)).toEqual([first.id, attended.id, third.id])
    // Remove the third meeting, now in the middle of the form.
    fields = await openEdit(leader, classId)
    const row = rowOf(fields, '2030-05-20')
    res = await save(leader, classId, { ...fields, [`meeting_date_${row}`]: '', [`meeting_start_${row}`]: '', [`meeting_end_${row}`]: '' })
    expect(res.status).toBe(303)
    expect(await attendanceOf(classId)).toEqual([{ meeting_id: attended.id, starts_at: attended.starts_at }])
    expect((await meetingsOf(classId)).map(m => [m.id, m.starts_at.slice(0, 10)])).toEqual([[first.id, '2030-05-27'], [attended.id, '2030-05-13']])
    // A meeting id from another class is not taken over.
    const other = await createClass(t.db, { locationId: await freshPlace(), meetings: ['2030-08-01T10:00'] })
    const foreign = (await meetingsOf(other))[0]!
    fields = await openEdit(leader, classId)
    res = await save(leader, classId, { ...fields, meeting_id_1: String(foreign.id) })
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
    expect(await meetingsOf(other)).toEqual([foreign])
  })

  it('refuses a form opened before another leader saved, shows the newer values and changes nothing', async () => {
    const classId = await createClass(t.db, { locationId: await freshPlace(), capacity: 8, meetings: ['2030-06-03T10:00'] })
    const mine = await openEdit(leader, classId)
    const theirs = await openEdit(otherLeader, classId)
    expect((await save(otherLeader, classId, { ...theirs, capacity: '12' })).status).toBe(303)
    const res = await save(leader, classId, { ...mine, note: 'Der er kaffe.' })
    expect(res.status).toBe(409)
    expect(res.text).toContain('Holdet er ændret, siden du åbnede siden')
    expect(formFields(res.text).capacity).toBe('12')
    const row = await t.db.selectFrom('classes').select(['capacity', 'note']).where('id', '=', classId).executeTakeFirstOrThrow()
    expect(row).toEqual({ capacity: 12, note: null })
    // Saved again from the page that now shows the newer values, it goes through.
    expect((await save(leader, classId, { ...formFields(res.text), note: 'Der er kaffe.' })).status).toBe(303)
    expect((await t.db.selectFrom('classes').select('note').where('id', '=', classId).executeTakeFirstOrThrow()).note).toBe('Der er kaffe.')
  })

  it('does not set the seats below the number who have one without an explicit choice', async () => {
    const classId = await createClass(t.db, { locationId: await freshPlace(), capacity: 3, meetings: ['2030-06-10T10:00'] })
    for (let i = 1; i <= 3; i++) await bookSeat(t.db, CITIZEN, classId, person(10 + i), { source: 'online' })
    let fields = await openEdit(leader, classId)
    const res = await save(leader, classId, { ...fields, capacity: '2' })
    expect(res.status).toBe(409)
    expect(res.text).toContain('3 har allerede en plads')
    expect(formFields(res.text).capacity).toBe('2')
    expect((await t.db.selectFrom('classes').select('capacity').where('id', '=', classId).executeTakeFirstOrThrow()).capacity).toBe(3)

    fields = formFields(res.text)
    expect((await save(leader, classId, { ...fields, capacity_below_seats: '1' })).status).toBe(303)
    expect((await t.db.selectFrom('classes').select('capacity').where('id', '=', classId).executeTakeFirstOrThrow()).capacity).toBe(2)
    // Nobody loses a seat; the next person goes on the waiting list.
    const statuses = await t.db.selectFrom('bookings').select('status').where('class_id', '=', classId).execute()
    expect(statuses.map(s => s.status)).toEqual(['confirmed', 'confirmed', 'confirmed'])
  })

  it('holds the API to the same rules: meetings by id, a version, and seats', async () => {
    const adminEmail = 'api-admin@bib.dk'
    await createStaff(t.db, 'admin', adminEmail)
    const { token } = await createApiToken(t.db, asStaff(await staffIdOf(t.db, adminEmail)), { name: 'Hjemmesiden', scopes: [...API_SCOPES], expiresAt: '2099-01-01T00:00:00.000Z' })
    const api = (method: 'get' | 'patch', path: string) => request(t.app.server)[method](path).set('authorization', `Bearer ${token}`)
    const { classId, meetings } = await classWithAttendance(0)

    const current = await api('get', `/api/v1/classes/${classId}`).expect(200)
    expect(current.body.version).toEqual(expect.any(Number))
    expect(current.body.meetings.map((m: { id: number }) => m.id)).toEqual(meetings.map(m => m.id))

    const removing = await api('patch', `/api/v1/classes/${classId}`).send({ meetings: current.body.meetings.slice(1) })
    expect(removing.status).toBe(409)
    expect(removing.body.error.code).toBe('meeting_has_attendance')
    expect(await attendanceOf(classId)).toEqual([{ meeting_id: meetings[0]!.id, starts_at: meetings[0]!.starts_at }])

    const ok = await api('patch', `/api/v1/classes/${classId}`).send({ note: 'Kaffe', version: current.body.version })
    expect(ok.status).toBe(200)
    expect(ok.body.version).toBeGreaterThan(current.body.version)
    const stale = await api('patch', `/api/v1/classes/${classId}`).send({ note: 'Te', version: current.body.version })
    expect(stale.status).toBe(409)
    expect(stale.body.error.code).toBe('class_changed')
    expect((await api('get', `/api/v1/classes/${classId}`)).body.note).toBe('Kaffe')

    await bookSeat(t.db, CITIZEN, classId, person(30), { source: 'online' })
    const below = await api('patch', `/api/v1/classes/${classId}`).send({ capacity: 1 })
    expect(below.status).toBe(409)
    expect(below.body.error.code).toBe('capacity_below_seats_taken')
    const chosen = await api('patch', `/api/v1/classes/${classId}`).send({ capacity: 1, allowCapacityBelowSeatsTaken: true })
    expect(chosen.status).toBe(200)
    expect(chosen.body).toMatchObject({ capacity: 1, seatsTaken: 2 })
  })
})
