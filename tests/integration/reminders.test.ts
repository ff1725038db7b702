import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { FastifyInstance } from 'fastify'
import type { Db } from '../../server/db/connection.ts'
import { cancelBooking } from '../../server/services/booking-service.ts'
import { getCallList } from '../../server/services/reminder-service.ts'
import { bookingInput, bookNew, createClass } from '../helpers/factories.ts'
import { buildTestApp } from '../helpers/http.ts'
import { type SmtpPeer, startSmtpPeer } from '../helpers/smtp.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

let app: FastifyInstance
let db: Db
let peer: SmtpPeer

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date('2030-03-01T10:00:00Z'))
  peer = await startSmtpPeer()
  const built = await buildTestApp({ smtpUrl: peer.url, mailFrom: 'Testbiblioteket <kurser@bib.test>', reminderOffsets: [2880, 180] })
  app = built.app
  db = built.db
})
afterEach(async () => {
  await app.close()
  await peer.close()
  vi.useRealTimers()
})

/** Moves the frozen clock, runs the schedule and the outbox worker like the server does. */
async function at (iso: string): Promise<void> {
  vi.setSystemTime(new Date(iso))
  await app.jobs.runReminderSchedule()
  await app.mail.worker.runOnce()
}

const reminderRecipients = () => peer.received.filter(m => m.parsed.subject?.startsWith('Påmindelse')).map(m => `${m.to} ${m.parsed.subject}`)

describe('reminders with frozen time, across the change to summer time', () => {
  it('go out at their moments, once, never to the waiting list, the cancelled or the late, and a thank-you follows', async () => {
    // Monday 1 April and Monday 8 April 2030 at 10.00; clocks go forward on Sunday 31 March.
    const classId = await createClass(db, { capacity: 2, meetings: ['2030-04-01T10:00', '2030-04-08T10:00'] })
    await db.updateTable('classes').set({ waitlist_mode: 'call' }).where('id', '=', classId).execute()
    const book = async (name: string, email: string | null, phone: string | null = null) =>
      await bookNew(db, CITIZEN, classId, bookingInput({ name, email, phone }), { source: 'online' })

    await book('Anna Early', 'anna@example.dk')
    const cancelled = await book('Carl Cancelled', 'carl@example.dk')
    const waiting = await book('Wilma Waiting', 'wilma@example.dk')
    expect(waiting.status).toBe('waitlisted')
    await cancelBooking(db, CITIZEN, cancelled.token, 'participant')
    const phoneOnly = await book('Poul Phone', null, '12345678')
    expect(phoneOnly.status).toBe('waitlisted')
    // Give Poul a seat: staff raise capacity by one (call mode: nobody is moved automatically).
    await db.updateTable('classes').set({ capacity: 3 }).where('id', '=', classId).execute()
    await db.updateTable('bookings').set({ status: 'confirmed', confirmed_at: new Date().toISOString() }).where('token', '=', phoneOnly.token).execute()
    await app.mail.worker.runOnce()
    peer.received.length = 0

    // Two days before, on the calendar: Saturday 30 March 10.00 winter time = 09.00 UTC.
    await at('2030-03-30T08:59:00Z')
    expect(reminderRecipients()).toEqual([])
    await at('2030-03-30T09:00:00Z')
    expect(reminderRecipients()).toEqual(['anna@example.dk Påmindelse: Kom godt i gang med MitID, mandag 1. april kl. 10.00'])
    await at('2030-03-30T15:00:00Z')
    expect(reminderRecipients()).toHaveLength(1)

    // Someone books after the two-day moment: only the three-hour reminder for the first meeting.
    vi.setSystemTime(new Date('2030-03-31T12:00:00Z'))
    await db.updateTable('classes').set({ capacity: 4 }).where('id', '=', classId).execute()
    const late = await book('Bent Late', 'bent@example.dk')
    // Wilma waits first in line; staff give Bent the extra seat (call mode).
    await db.updateTable('bookings').set({ status: 'confirmed', confirmed_at: new Date().toISOString() }).where('token', '=', late.token).execute()
    await app.mail.worker.runOnce()
    await at('2030-03-31T12:05:00Z')
    expect(reminderRecipients()).toHaveLength(1)

    // Three hours before: 05.00 UTC = 07.00 summer time.
    await at('2030-04-01T04:59:00Z')
    expect(reminderRecipients()).toHaveLength(1)
    await at('2030-04-01T05:00:00Z')
    expect(reminderRecipients().slice(1).sort()).toEqual([
      'anna@example.dk Påmindelse: Kom godt i gang med MitID, mandag 1. april kl. 10.00',
      'bent@example.dk Påmindelse: Kom godt i gang med MitID, mandag 1. april kl. 10.00'
    ])

    // The second meeting: both of them, two days and three hours before.
    await at('2030-04-06T08:00:00Z')
    await at('2030-04-08T05:00:00Z')
    expect(reminderRecipients()).toHaveLength(7)
    expect(reminderRecipients().filter(r => r.includes('8. april'))).toHaveLength(4)

    // Never the waiting list, the cancelled, or someone without e-mail.
    const to = new Set(peer.received.map(m => m.to))
    expect(to.has('wilma@example.dk')).toBe(false)
    expect(to.has('carl@example.dk')).toBe(false)
    const reminderRows = await db.selectFrom('outbox').select('recipient').where('kind', '=', 'reminder').execute()
    expect(new Set(reminderRows.map(r => r.recipient))).toEqual(new Set(['anna@example.dk', 'bent@example.dk']))

    // Anna was checked in; Bent never came. Only those who came are thanked.
    const anna = await db.selectFrom('bookings').innerJoin('participants', 'participants.id', 'bookings.participant_id').select(['bookings.id', 'bookings.participant_id']).where('participants.name', '=', 'Anna Early').executeTakeFirstOrThrow()
    const firstMeeting = await db.selectFrom('meetings').select('id').where('class_id', '=', classId).orderBy('starts_at').executeTakeFirstOrThrow()
    await db.insertInto('attendances').values({ booking_id: anna.id, meeting_id: firstMeeting.id, participant_id: anna.participant_id, checked_in_at: '2030-04-01T08:05:00.000Z', staff_user_id: null, via: 'tablet' }).execute()
    // After the last meeting: a thank-you with the suggested next course, once.
    await at('2030-04-08T09:59:00Z')
    expect(peer.received.filter(m => m.parsed.subject?.startsWith('Tak'))).toHaveLength(0)
    await at('2030-04-08T10:00:00Z')
    await at('2030-04-08T18:00:00Z')
    const thanks = peer.received.filter(m => m.parsed.subject?.startsWith('Tak'))
    expect(thanks.map(m => m.to)).toEqual(['anna@example.dk'])
    expect(thanks[0]?.parsed.text).toContain('Et godt næste kursus')
    expect(thanks[0]?.parsed.text).toMatch(/http:\/\/kurser\.test\/kurser\/[a-z-]+/)
    expect([...peer.countsByMessageId().values()].every(n => n === 1)).toBe(true)
  })

  it('does not remind about a class that was cancelled', async () => {
    const classId = await createClass(db, { meetings: ['2030-04-01T10:00'] })
    await bookNew(db, CITIZEN, classId, bookingInput({ name: 'Anna', email: 'anna@example.dk' }), { source: 'online' })
    await db.updateTable('classes').set({ cancelled_at: new Date().toISOString() }).where('id', '=', classId).execute()
    await at('2030-03-30T09:00:00Z')
    await at('2030-04-01T05:00:00Z')
    expect(reminderRecipients()).toEqual([])
  })
})

describe('call list', () => {
  it('lists people without e-mail on the day their first reminder would have gone out', async () => {
    const classId = await createClass(db, { meetings: ['2030-04-01T10:00', '2030-04-08T10:00'] })
    await bookNew(db, CITIZEN, classId, bookingInput({ name: 'Poul Phone', phone: '12345678' }), { source: 'phone' })
    await bookNew(db, CITIZEN, classId, bookingInput({ name: 'Erna Email', email: 'erna@example.dk' }), { source: 'online' })
    await bookNew(db, CITIZEN, classId, bookingInput({ name: 'Datter Booker', phone: '87654321', booker: { name: 'Mor', phone: '87654321', email: 'mor@example.dk' } }), { source: 'online' })
    vi.setSystemTime(new Date('2030-03-31T12:00:00Z'))
    await bookNew(db, CITIZEN, classId, bookingInput({ name: 'Sen Ringer', phone: '11223344' }), { source: 'phone' })
    const waiting = await createClass(db, { capacity: 0, meetings: ['2030-04-01T12:00'] })
    await bookNew(db, CITIZEN, waiting, bookingInput({ name: 'Venter Uden', phone: '22334455' }), { source: 'phone' })

    const names = async (day: string) => (await getCallList(db, day, [2880, 180])).entries.map(e => `${e.name} ${e.startsAt}`)
    expect(await names('2030-03-30')).toEqual(['Poul Phone 2030-04-01T08:00:00.000Z'])
    expect(await names('2030-03-31')).toEqual([])
    expect(await names('2030-04-01')).toEqual(['Sen Ringer 2030-04-01T08:00:00.000Z'])
    expect(await names('2030-04-06')).toEqual(['Poul Phone 2030-04-08T08:00:00.000Z', 'Sen Ringer 2030-04-08T08:00:00.000Z'])
  })
})
