import { afterEach, describe, expect, it } from 'vitest'
import ICAL from 'ical.js'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, createClass, submitBooking, tokenFrom } from '../helpers/app.ts'
import { type SmtpPeer, startSmtpPeer } from '../helpers/smtp.ts'

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
