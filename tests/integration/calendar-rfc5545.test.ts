import ICAL from 'ical.js'
import nodeIcal, { type VEvent } from 'node-ical'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import type { Attachment } from 'mailparser'
import { cancelBooking } from '../../server/services/booking-service.ts'
import { cancelClass, updateClass } from '../../server/services/class-service.ts'
import { editLocation } from '../../server/services/place-service.ts'
import { bookingInput, bookNew, createClass, createLocation, createStaff, asStaff } from '../helpers/factories.ts'
import { buildTestApp } from '../helpers/http.ts'
import { type SmtpPeer, startSmtpPeer } from '../helpers/smtp.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

/** RFC 5545 §3.1: every content line ends CRLF (the last one too) and is at most 75 octets. */
function expectLineRules (ics: string): void {
  const bytes = Buffer.from(ics, 'utf8')
  expect(bytes.subarray(-2).toString('latin1')).toBe('\r\n')
  expect(ics.endsWith('END:VCALENDAR\r\n')).toBe(true)
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) expect(bytes[i - 1], `bare LF at byte ${i}`).toBe(0x0d)
    if (bytes[i] === 0x0d) expect(bytes[i + 1], `bare CR at byte ${i}`).toBe(0x0a)
  }
  for (const line of ics.slice(0, -2).split('\r\n')) expect(Buffer.byteLength(line, 'utf8'), line).toBeLessThanOrEqual(75)
}

interface Seen { uid: string, sequence: number, status: string | null, lastModified: string | null, start: string }

/** The events as two independent parsers read them; they must agree. */
function parseBoth (ics: string): { method: string | null, events: Seen[], calendar: ICAL.Component } {
  expectLineRules(ics)
  const calendar = new ICAL.Component(ICAL.parse(ics))
  for (const tz of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz)
  const fromIcalJs: Seen[] = calendar.getAllSubcomponents('vevent').map(v => {
    const modified = v.getFirstPropertyValue('last-modified') as ICAL.Time | null
    return {
      uid: String(v.getFirstPropertyValue('uid')),
      sequence: Number(v.getFirstPropertyValue('sequence')),
      status: (v.getFirstPropertyValue('status') as string | null) ?? null,
      lastModified: modified ? modified.toJSDate().toISOString() : null,
      start: new ICAL.Event(v).startDate.toJSDate().toISOString()
    }
  })
  const fromNodeIcal: Seen[] = Object.values(nodeIcal.sync.parseICS(ics))
    .filter((c): c is VEvent => c?.type === 'VEVENT')
    .map(e => ({
      uid: e.uid,
      sequence: Number(e.sequence),
      status: e.status ?? null,
      lastModified: e.lastmodified ? new Date(e.lastmodified).toISOString() : null,
      start: new Date(e.start).toISOString()
    }))
  const byUid = (a: Seen, b: Seen) => a.uid.localeCompare(b.uid)
  expect([...fromNodeIcal].sort(byUid)).toEqual([...fromIcalJs].sort(byUid))
  return { method: (calendar.getFirstPropertyValue('method') as string | null) ?? null, events: fromIcalJs, calendar }
}

const icsOf = (attachment: Attachment | undefined): string => {
  expect(attachment).toBeDefined()
  return attachment!.content.toString('utf8')
}

let app: FastifyInstance | undefined
let peer: SmtpPeer | undefined
afterEach(async () => {
  await app?.close()
  await peer?.close()
  app = undefined
  peer = undefined
})

describe('every calendar we make, read by ical.js and node-ical', () => {
  it('keeps UIDs, raises SEQUENCE on each change, cancels with the same UID, and keeps private and public events apart', async () => {
    peer = await startSmtpPeer()
    const built = await buildTestApp({ smtpUrl: peer.url, mailFrom: 'Testbiblioteket <kurser@bib.test>' })
    app = built.app
    const db = built.db
    const server = app.server
    const seen: typeof peer.received = []
    const locationId = await createLocation(db, { name: 'Hovedbiblioteket' })
    const classId = await createClass(db, { locationId, capacity: 1, meetings: ['2030-03-05T10:00', '2030-03-12T10:00'] })
    const anna = await bookNew(db, CITIZEN, classId, bookingInput({ name: 'Anna', email: 'anna@example.dk' }), { source: 'online' })
    const bo = await bookNew(db, CITIZEN, classId, bookingInput({ name: 'Bo', email: 'bo@example.dk' }), { source: 'online' })
    expect(bo.status).toBe('waitlisted')
    await app.mail.worker.runOnce()
    const annaMail = peer.received.find(m => m.to === 'anna@example.dk')!.parsed
    const fromMail = parseBoth(icsOf(annaMail.attachments.find(a => a.filename === 'kursus.ics')))
    expect(fromMail.events.map(e => e.sequence)).toEqual([0, 0])

    const fileOf = async (token: string) => (await request(server).get(`/tilmelding/${token}/kalender.ics`).expect(200)).text
    const annaFile = parseBoth(await fileOf(anna.token))
    const boFile = parseBoth(await fileOf(bo.token))
    const feedRes = await request(server).get('/kalender.ics').expect(200)
    const feed = parseBoth(feedRes.text)
    expect(annaFile.events.map(e => e.uid)).toEqual(fromMail.events.map(e => e.uid))
    expect(boFile.events.map(e => e.status)).toEqual(['TENTATIVE', 'TENTATIVE'])
    for (const parsed of [annaFile, boFile, feed]) {
      expect(parsed.events.map(e => e.sequence)).toEqual([0, 0])
      for (const e of parsed.events) expect(e.lastModified).not.toBeNull()
    }
    // A person's booking, another person's booking and the public listing: three sets of UIDs.
    const uids = [...annaFile.events, ...boFile.events, ...feed.events].map(e => e.uid)
    expect(new Set(uids).size).toBe(6)

    // The feed names itself and says how often to fetch it again.
    expect(feed.calendar.getFirstPropertyValue('x-wr-calname')).toBeTruthy()
    expect(feed.calendar.getFirstPropertyValue('name')).toBe(feed.calendar.getFirstPropertyValue('x-wr-calname'))
    expect(feedRes.text).toMatch(/\r\nREFRESH-INTERVAL;VALUE=DURATION:PT\d+[HM]\r\n/)
    expect(feedRes.text).toMatch(/\r\nX-PUBLISHED-TTL:PT\d+[HM]\r\n/)

    // The class moves an hour: same UIDs, a higher SEQUENCE, LAST-MODIFIED the time of the change.
    const leader = await createStaff(db, 'leader')
    const staffId = (await db.selectFrom('staff_users').select('id').where('email', '=', leader.email).executeTakeFirstOrThrow()).id
    const meetings = await db.selectFrom('meetings').select(['id', 'starts_at', 'ends_at']).where('class_id', '=', classId).orderBy('starts_at').execute()
    const input = {
      courseSlug: 'mitid-kom-godt-i-gang',
      locationId,
      partnerId: null,
      capacity: 1,
      isPublic: true,
      waitlistMode: 'auto' as const,
      note: null,
      meetings: meetings.map(m => ({ id: m.id, startsAt: m.starts_at.replace('T09:', 'T10:'), endsAt: m.ends_at.replace('T11:', 'T12:') }))
    }
    // Whole minutes after the bookings (LAST-MODIFIED has no milliseconds); the worker runs an hour on.
    const minutesOn = (n: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 + n * 60_000)
    const send = async () => await app!.mail.worker.runOnce(() => minutesOn(60))
    const changedAt = minutesOn(10)
    await updateClass(db, asStaff(staffId), classId, input, { now: changedAt })
    // Only the seats change: not a change a calendar needs to hear about.
    await updateClass(db, asStaff(staffId), classId, { ...input, capacity: 1 }, { now: minutesOn(15) })
    seen.push(...peer.received.splice(0))
    await send()
    const changedMail = peer.received.find(m => m.to === 'anna@example.dk' && m.parsed.subject?.startsWith('Vigtigt'))!.parsed
    const changed = parseBoth(icsOf(changedMail.attachments.find(a => a.filename === 'kursus.ics')))
    expect(changed.events.map(e => e.uid)).toEqual(annaFile.events.map(e => e.uid))
    expect(changed.events.map(e => e.sequence)).toEqual([1, 1])
    expect(changed.events.map(e => e.lastModified)).toEqual([changedAt.toISOString(), changedAt.toISOString()])
    expect(changed.events[0]!.start).toBe('2030-03-05T10:00:00.000Z')
    expect(parseBoth(await fileOf(anna.token)).events.map(e => e.sequence)).toEqual([1, 1])
    const feedAfter = parseBoth((await request(server).get('/kalender.ics').expect(200)).text)
    expect(feedAfter.events.map(e => e.uid)).toEqual(feed.events.map(e => e.uid))
    expect(feedAfter.events.map(e => e.sequence)).toEqual([1, 1])
    const boChanged = parseBoth(icsOf(peer.received.find(m => m.to === 'bo@example.dk')!.parsed.attachments.find(a => a.filename === 'kursus.ics')))
    expect(boChanged.events.map(e => e.status)).toEqual(['TENTATIVE', 'TENTATIVE'])

    // Anna leaves, Bo gets her seat: his tentative event becomes confirmed, with a higher SEQUENCE.
    const seatAt = minutesOn(20)
    await cancelBooking(db, CITIZEN, anna.token, 'participant', seatAt)
    seen.push(...peer.received.splice(0))
    await send()
    const promoted = parseBoth(icsOf(peer.received.find(m => m.to === 'bo@example.dk')!.parsed.attachments.find(a => a.filename === 'kursus.ics')))
    expect(promoted.events.map(e => e.uid)).toEqual(boFile.events.map(e => e.uid))
    expect(promoted.events.map(e => e.status)).toEqual(['CONFIRMED', 'CONFIRMED'])
    expect(promoted.events.every(e => e.sequence > 1)).toBe(true)
    expect(promoted.events.map(e => e.lastModified)).toEqual([seatAt.toISOString(), seatAt.toISOString()])
    const boSeated = parseBoth(await fileOf(bo.token))
    expect(boSeated.events).toEqual(promoted.events)

    // The class is cancelled: the e-mail cancels the same events, with a higher SEQUENCE still.
    const cancelledAt = minutesOn(30)
    await cancelClass(db, asStaff(staffId), classId, cancelledAt)
    seen.push(...peer.received.splice(0))
    await send()
    const cancelledMail = peer.received.find(m => m.to === 'bo@example.dk')!.parsed
    const attachment = cancelledMail.attachments.find(a => a.filename === 'kursus.ics')
    const cancelled = parseBoth(icsOf(attachment))
    expect(attachment!.contentType).toBe('text/calendar')
    const contentType = attachment!.headers.get('content-type') as { value: string, params: Record<string, string> }
    expect(contentType.params.method).toBe('CANCEL')
    expect(cancelled.method).toBe('CANCEL')
    expect(cancelled.events.map(e => e.uid)).toEqual(boFile.events.map(e => e.uid))
    expect(cancelled.events.map(e => e.status)).toEqual(['CANCELLED', 'CANCELLED'])
    for (const [i, e] of cancelled.events.entries()) expect(e.sequence).toBeGreaterThan(promoted.events[i]!.sequence)
    expect(cancelled.events[0]!.lastModified).toBe(cancelledAt.toISOString())

    // Every e-mail's calendar follows the line rules, and says what its content type says.
    const calendars = [...seen, ...peer.received].flatMap(m => m.parsed.attachments.filter(x => x.filename === 'kursus.ics'))
    expect(calendars).toHaveLength(5)
    for (const a of calendars) {
      const params = (a.headers.get('content-type') as { params: Record<string, string> }).params
      expect(parseBoth(a.content.toString('utf8')).method).toBe(params.method)
    }
  })

  it('raises SEQUENCE when the place itself is edited, and escapes the calendar\'s name', async () => {
    const built = await buildTestApp()
    app = built.app
    const db = built.db
    const admin = await createStaff(db, 'admin')
    const adminId = (await db.selectFrom('staff_users').select('id').where('email', '=', admin.email).executeTakeFirstOrThrow()).id
    const locationId = await createLocation(db, { name: 'Filialen', street: 'Torvet 1' })
    const classId = await createClass(db, { course: 'digital-post-laes-og-svar', locationId, meetings: ['2030-05-01T13:00'] })
    const booking = await bookNew(db, CITIZEN, classId, bookingInput({ name: 'Inger', phone: '+4561616161' }), { source: 'online' })
    const location = await db.selectFrom('locations').selectAll().where('id', '=', locationId).executeTakeFirstOrThrow()
    const input = { name: location.name, kind: location.kind as 'library', street: location.street, postalCode: location.postal_code, city: location.city, room: location.room, accessNote: location.access_note, stepFree: false, hearingLoop: false }
    // Access details are not in the calendar: no new version.
    await editLocation(db, asStaff(adminId), locationId, { ...input, accessNote: 'Elevator ved indgangen' })
    expect(parseBoth((await request(app.server).get('/kalender.ics').expect(200)).text).events.map(e => e.sequence)).toEqual([0])
    await editLocation(db, asStaff(adminId), locationId, { ...input, street: 'Torvet 3' })
    expect(parseBoth((await request(app.server).get('/kalender.ics').expect(200)).text).events.map(e => e.sequence)).toEqual([1])
    const own = await request(app.server).get(`/tilmelding/${booking.token}/kalender.ics`).expect(200)
    expect(parseBoth(own.text).events.map(e => e.sequence)).toEqual([1])
    // The course title has commas, which a TEXT value must escape.
    expect(own.text).toContain('\r\nNAME:Digital Post – læs\\, svar')
    expect(own.text).toContain('\r\nX-WR-CALNAME:Digital Post – læs\\, svar')
  })
})
