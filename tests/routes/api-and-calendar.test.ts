import ICAL from 'ical.js'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bookSeat } from '../../server/services/booking-service.ts'
import { bookingInput, createClass, createLocation } from '../helpers/factories.ts'
import { buildTestApp, submitBooking, type TestApp, tokenFrom } from '../helpers/http.ts'
import { recordApiResponses } from '../helpers/openapi-check.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

function parseEvents (ics: string) {
  const calendar = new ICAL.Component(ICAL.parse(ics))
  for (const tz of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz)
  return {
    calendar,
    events: calendar.getAllSubcomponents('vevent').map(v => {
      const event = new ICAL.Event(v)
      return {
        summary: event.summary,
        location: event.location,
        start: event.startDate.toJSDate().toISOString(),
        end: event.endDate.toJSDate().toISOString(),
        tzid: event.startDate.zone?.tzid,
        uid: event.uid
      }
    })
  }
}

describe('calendar files and the API for library websites', () => {
  let t: TestApp
  let classId: number
  let fullId: number
  let apiAnswers: ReturnType<typeof recordApiResponses>

  beforeAll(async () => {
    t = await buildTestApp()
    apiAnswers = recordApiResponses(t.app)
    const location = await createLocation(t.db, { name: 'Hovedbiblioteket', street: 'Tobaksgården 12', room: 'Mødelokale 2' })
    // Two meetings on either side of the change to summer time (29 March 2026 in Copenhagen).
    classId = await createClass(t.db, { locationId: location, capacity: 8, meetings: ['2030-03-26T10:00', '2030-04-02T10:00'], minutes: 90 })
    fullId = await createClass(t.db, { course: 'digital-post-laes-og-svar', locationId: location, capacity: 1, meetings: ['2030-05-01T13:00'] })
    for (let i = 0; i < 3; i++) {
      await bookSeat(t.db, CITIZEN, fullId, bookingInput({ name: `P ${i}`, phone: `+45${50000000 + i}` }), { source: 'online' })
    }
    await createClass(t.db, { isPublic: false, meetings: ['2030-05-02T10:00'] })
  })
  afterAll(async () => { await t.app.close() })

  it('gives a booking a valid RFC 5545 file with every meeting in Europe/Copenhagen time', async () => {
    const booking = await submitBooking(t.app, classId, { name: 'Inger Lund', phone: '61616161' })
    const token = tokenFrom(booking.headers.location)
    const res = await request(t.app.server).get(`/tilmelding/${token}/kalender.ics`).expect(200)
    expect(res.headers['content-type']).toBe('text/calendar; charset=utf-8')
    expect(res.headers['content-disposition']).toContain('attachment; filename="mitid-kom-godt-i-gang.ics"')
    expect(res.text).toMatch(/^BEGIN:VCALENDAR\r\n/)
    expect(res.text).toContain('VERSION:2.0')
    expect(res.text).toContain('BEGIN:VTIMEZONE\r\nTZID:Europe/Copenhagen')
    expect(res.text).toContain('DTSTART;TZID=Europe/Copenhagen:20300326T100000')
    expect(res.text).toContain('DTSTART;TZID=Europe/Copenhagen:20300402T100000')
    expect(res.text).toMatch(/\r\nDTSTAMP:\d{8}T\d{6}Z\r\n/)
    expect(res.text).not.toContain('Europe/Berlin')
    expect(res.text.match(/BEGIN:VTIMEZONE/g)).toHaveLength(1)
    expect(res.text.split('\r\n').every(line => Buffer.byteLength(line) <= 75)).toBe(true)

    const { events } = parseEvents(res.text)
    expect(events).toHaveLength(2)
    // 10:00 in winter time is 09:00 UTC; 10:00 in summer time is 08:00 UTC.
    expect(events[0]).toMatchObject({ start: '2030-03-26T09:00:00.000Z', end: '2030-03-26T10:30:00.000Z', tzid: 'Europe/Copenhagen' })
    expect(events[1]).toMatchObject({ start: '2030-04-02T08:00:00.000Z', end: '2030-04-02T09:30:00.000Z' })
    expect(events[0]?.summary).toBe('Kom godt i gang med MitID (1. af 2 gange)')
    expect(events[0]?.location).toContain('Hovedbiblioteket, Mødelokale 2, Tobaksgården 12')
    expect(new Set(events.map(e => e.uid)).size).toBe(2)
    expect(res.text).toContain(token)
  })

  it('offers no calendar file for a cancelled booking or an unknown token', async () => {
    await request(t.app.server).get('/tilmelding/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/kalender.ics').expect(404)
  })

  it('publishes upcoming public classes as an iCalendar feed', async () => {
    const res = await request(t.app.server).get('/kalender.ics').expect(200)
    const { events } = parseEvents(res.text)
    expect(events).toHaveLength(3)
    expect(events.map(e => e.summary)).toContain('Digital Post – læs, svar og få hjælp fra en pårørende')
    expect(res.text).toContain(`http://kurser.test/hold/${classId}`)
  })

  it('returns upcoming public classes as JSON', async () => {
    const res = await request(t.app.server).get('/api/v1/classes').expect(200)
    expect(res.headers['content-type']).toMatch(/application\/json/)
    const { classes } = res.body as { classes: Array<Record<string, any>> }
    expect(classes).toHaveLength(2)
    const first = classes.find(c => c.id === classId)
    expect(first).toMatchObject({
      id: classId,
      course: { slug: 'mitid-kom-godt-i-gang', title: 'Kom godt i gang med MitID', topic: 'mitid', level: 'begynder' },
      location: { name: 'Hovedbiblioteket', room: 'Mødelokale 2', address: { street: 'Tobaksgården 12', postalCode: '8700', city: 'Horsens' } },
      meetings: [
        { start: '2030-03-26T10:00:00+01:00', end: '2030-03-26T11:30:00+01:00' },
        { start: '2030-04-02T10:00:00+02:00', end: '2030-04-02T11:30:00+02:00' }
      ],
      capacity: 8,
      url: `http://kurser.test/hold/${classId}`
    })
    expect(first?.seatsLeft).toBe(first?.capacity - 1)
    expect(classes.find(c => c.id === fullId)).toMatchObject({ seatsLeft: 0, waitlistLength: 2, capacity: 1 })
  })

  it('every API answer these tests got is documented, with a body that fits its schema', async () => {
    await apiAnswers.check()
  })
})
