import { afterEach, describe, expect, it } from 'vitest'
import ICAL from 'ical.js'
import type { FastifyInstance } from 'fastify'
import { cancelBooking } from '../../server/services/booking-service.ts'
import { cancelClass, updateClass } from '../../server/services/class-service.ts'
import { subscribeToCourse } from '../../server/services/interest-service.ts'
import { inviteStaffUser } from '../../server/services/staff-service.ts'
import { bookingInput, bookNew, createClass, createLocation, createStaff, asStaff } from '../helpers/factories.ts'
import { buildTestApp, submitBooking, tokenFrom } from '../helpers/http.ts'
import { type SmtpPeer, startSmtpPeer } from '../helpers/smtp.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

let app: FastifyInstance | undefined
let peer: SmtpPeer | undefined
afterEach(async () => {
  await app?.close()
  await peer?.close()
  app = undefined
  peer = undefined
})

describe('confirmation e-mail over real SMTP', () => {
  it('arrives with a Danish subject, HTML and text parts, the private link and a valid calendar file', async () => {
    peer = await startSmtpPeer()
    const built = await buildTestApp({ smtpUrl: peer.url, mailFrom: 'Testbiblioteket <kurser@bib.test>' })
    app = built.app
    const classId = await createClass(built.db, { meetings: ['2030-03-26T10:00', '2030-04-02T10:00'] })
    const res = await submitBooking(app, classId, { email: 'grethe@example.dk' })
    const token = tokenFrom(res.headers.location)

    expect(await app.mail.worker.runOnce()).toBe(1)
    expect(peer.received).toHaveLength(1)
    const mail = peer.received[0]!.parsed
    expect(peer.received[0]!.to).toBe('grethe@example.dk')
    expect(mail.subject).toBe('Du har en plads: Kom godt i gang med MitID, tirsdag 26. marts 2030 kl. 10.00')
    expect(mail.from?.text).toContain('kurser@bib.test')
    expect(mail.text).toContain('Hej Grethe Hansen')
    expect(mail.text).toContain(`http://kurser.test/tilmelding/${token}`)
    expect(mail.text).toContain('Tirsdag 2. april 2030 kl. 10.00–12.00')
    expect(mail.html).toContain('<html lang="da">')
    expect(mail.html).toContain(`href="http://kurser.test/tilmelding/${token}"`)

    const ics = mail.attachments.find(a => a.filename === 'kursus.ics')
    expect(ics?.contentType).toBe('text/calendar')
    const calendar = new ICAL.Component(ICAL.parse(ics!.content.toString('utf8')))
    const events = calendar.getAllSubcomponents('vevent').map(e => new ICAL.Event(e))
    expect(events).toHaveLength(2)
    // 26 March 2030 is after the change to summer time (31 March is not): 10.00 CET = 09.00 UTC,
    // 2 April 10.00 CEST = 08.00 UTC.
    expect(events.map(e => e.startDate.toJSDate().toISOString())).toEqual(['2030-03-26T09:00:00.000Z', '2030-04-02T08:00:00.000Z'])
    const status = await built.db.selectFrom('outbox').select(['status', 'message_id']).executeTakeFirstOrThrow()
    expect(status.status).toBe('sent')
    expect(mail.messageId).toBe(status.message_id)
  })
})

describe('every kind of booking e-mail over real SMTP', () => {
  it('waiting list, seat from the waiting list, cancelled by the citizen, class changed, class cancelled', async () => {
    peer = await startSmtpPeer()
    const built = await buildTestApp({ smtpUrl: peer.url, mailFrom: 'Testbiblioteket <kurser@bib.test>' })
    app = built.app
    const db = built.db
    const classId = await createClass(db, { capacity: 1, meetings: ['2030-03-05T10:00'] })
    // The worker runs after each step, as it does every two seconds in the server.
    const send = async () => { await app!.mail.worker.runOnce() }
    const anna = await bookNew(db, CITIZEN, classId, bookingInput({ name: 'Anna', email: 'anna@example.dk' }), { source: 'online' })
    const bo = await bookNew(db, CITIZEN, classId, bookingInput({ name: 'Bo', email: 'bo@example.dk', booker: { name: 'Bos datter', phone: null, email: 'datter@example.dk' } }), { source: 'online' })
    expect(bo.status).toBe('waitlisted')
    await send()
    await cancelBooking(db, CITIZEN, anna.token, 'participant')
    await send()
    const leader = await createStaff(db, 'leader')
    const staffId = (await db.selectFrom('staff_users').select('id').where('email', '=', leader.email).executeTakeFirstOrThrow()).id
    const locationId = await createLocation(db, { name: 'Kulturhuset' })
    const input = {
      courseSlug: 'mitid-kom-godt-i-gang',
      locationId,
      partnerId: null,
      capacity: 1,
      isPublic: true,
      waitlistMode: 'auto' as const,
      note: null,
      meetings: [{ startsAt: '2030-03-12T09:00:00.000Z', endsAt: '2030-03-12T11:00:00.000Z' }]
    }
    await updateClass(db, asStaff(staffId), classId, input)
    // Only the capacity changes: nobody is told.
    await updateClass(db, asStaff(staffId), classId, { ...input, capacity: 2 })
    await send()
    await cancelClass(db, asStaff(staffId), classId)
    await send()

    const got = peer.received.map(m => `${m.to}: ${m.parsed.subject}`)
    expect(got).toEqual([
      'anna@example.dk: Du har en plads: Kom godt i gang med MitID, tirsdag 5. marts 2030 kl. 10.00',
      'bo@example.dk: Du er nr. 1 på ventelisten: Kom godt i gang med MitID',
      'datter@example.dk: Bo er nr. 1 på ventelisten: Kom godt i gang med MitID',
      'anna@example.dk: Du er afmeldt: Kom godt i gang med MitID, tirsdag 5. marts 2030 kl. 10.00',
      'bo@example.dk: Du har fået en plads: Kom godt i gang med MitID, tirsdag 5. marts 2030 kl. 10.00',
      'datter@example.dk: Bo har fået en plads: Kom godt i gang med MitID, tirsdag 5. marts 2030 kl. 10.00',
      'bo@example.dk: Vigtigt – holdet er ændret: Kom godt i gang med MitID',
      'datter@example.dk: Vigtigt – holdet er ændret: Kom godt i gang med MitID',
      'bo@example.dk: Aflyst: Kom godt i gang med MitID, tirsdag 12. marts 2030 kl. 10.00',
      'datter@example.dk: Aflyst: Kom godt i gang med MitID, tirsdag 12. marts 2030 kl. 10.00'
    ])
    const changed = peer.received.find(m => m.to === 'datter@example.dk' && m.parsed.subject?.startsWith('Vigtigt'))!.parsed
    expect(changed.text).toContain('Hej Bos datter')
    expect(changed.text).toContain('Tirsdag 12. marts 2030 kl. 10.00–12.00')
    expect(changed.text).toContain('Kulturhuset')
    expect(changed.text).toContain('Før ændringen')
    expect(changed.text).toContain('Tirsdag 5. marts 2030 kl. 10.00–12.00')
    expect(changed.attachments.map(a => a.filename)).toEqual(['kursus.ics'])
    for (const m of peer.received) {
      expect(m.parsed.html).toBeTruthy()
      expect(m.parsed.text).toBeTruthy()
    }
  })

  it('sends the invitation e-mail for a new staff user with a working link', async () => {
    peer = await startSmtpPeer()
    const built = await buildTestApp({ smtpUrl: peer.url, mailFrom: 'Testbiblioteket <kurser@bib.test>' })
    app = built.app
    const admin = await createStaff(built.db, 'admin')
    const adminId = (await built.db.selectFrom('staff_users').select('id').where('email', '=', admin.email).executeTakeFirstOrThrow()).id
    const { token } = await inviteStaffUser(built.db, asStaff(adminId), { name: 'Frida Frivillig', email: 'frida@example.dk', role: 'volunteer' })
    await app.mail.worker.runOnce()
    const mail = peer.received[0]!.parsed
    expect(peer.received[0]!.to).toBe('frida@example.dk')
    expect(mail.subject).toBe('Du er inviteret som personale i kursussystemet')
    expect(mail.text).toContain(`http://kurser.test/personale/invitation/${token}`)
  })
})

describe('headers every message carries', () => {
  it('says it is sent automatically (RFC 3834) and written in Danish, on bookings, invitations and the interest list', async () => {
    peer = await startSmtpPeer()
    const built = await buildTestApp({ smtpUrl: peer.url, mailFrom: 'Testbiblioteket <kurser@bib.test>' })
    app = built.app
    const classId = await createClass(built.db, { meetings: ['2030-03-26T10:00'] })
    await submitBooking(app, classId, { email: 'grethe@example.dk' })
    const admin = await createStaff(built.db, 'admin')
    const adminId = (await built.db.selectFrom('staff_users').select('id').where('email', '=', admin.email).executeTakeFirstOrThrow()).id
    await inviteStaffUser(built.db, asStaff(adminId), { name: 'Frida Frivillig', email: 'frida@example.dk', role: 'volunteer' })
    await subscribeToCourse(built.db, 'mitid-kom-godt-i-gang', 'bo@example.dk')
    expect(await app.mail.worker.runOnce()).toBe(3)

    expect(peer.received.map(m => m.to).sort()).toEqual(['bo@example.dk', 'frida@example.dk', 'grethe@example.dk'])
    for (const m of peer.received) {
      // mailparser reads the headers; each appears once, at the top level of the message.
      expect(m.parsed.headers.get('auto-submitted'), m.to).toBe('auto-generated')
      expect(m.parsed.headers.get('content-language'), m.to).toBe('da')
      const head = m.raw.slice(0, m.raw.indexOf('\r\n\r\n'))
      expect(head.match(/^Auto-Submitted:/gim), m.to).toHaveLength(1)
      expect(head.match(/^Content-Language:/gim), m.to).toHaveLength(1)
    }
  })
})

describe('messages that no longer hold', () => {
  it('withdraws a waiting confirmation when the booking is cancelled before it is sent, and reminders when the class moves', async () => {
    peer = await startSmtpPeer()
    const built = await buildTestApp({ smtpUrl: peer.url, mailFrom: 'Testbiblioteket <kurser@bib.test>' })
    app = built.app
    const db = built.db
    const classId = await createClass(db, { meetings: ['2030-03-05T10:00'] })
    const anna = await bookNew(db, CITIZEN, classId, bookingInput({ name: 'Anna', email: 'anna@example.dk' }), { source: 'online' })
    await cancelBooking(db, CITIZEN, anna.token, 'participant')
    await app.mail.worker.runOnce()
    expect(peer.received.map(m => m.parsed.subject)).toEqual(['Du er afmeldt: Kom godt i gang med MitID, tirsdag 5. marts 2030 kl. 10.00'])
    const rows = await db.selectFrom('outbox').select(['kind', 'status']).orderBy('id').execute()
    expect(rows).toEqual([{ kind: 'booking_confirmed', status: 'withdrawn' }, { kind: 'booking_cancelled', status: 'sent' }])
  })
})
