import { afterEach, describe, expect, it } from 'vitest'
import type { Db } from '../../server/db/connection.ts'
import type { OutboxRow } from '../../server/db/schema.ts'
import { CITIZEN } from '../../server/domain/actor.ts'
import { formatCheckinCode } from '../../server/domain/checkin-code.ts'
import type { QuietHours } from '../../server/domain/sms.ts'
import { fromLocal } from '../../server/domain/time.ts'
import { messageOf, queueSms } from '../../server/mail/outbox.ts'
import { renderSms } from '../../server/mail/sms-text.ts'
import { type SmsTransport, createGatewayApiTransport } from '../../server/mail/sms-transport.ts'
import { OutboxWorker, retryDelayMs } from '../../server/mail/worker.ts'
import { findBookingByToken } from '../../server/repositories/booking-repository.ts'
import { setNumberLandline, setNumberStopped, withdrawQueuedSms } from '../../server/repositories/sms-repository.ts'
import { cancelBooking } from '../../server/services/booking-service.ts'
import { cancelClass, updateClass } from '../../server/services/class-service.ts'
import { notifyBooking } from '../../server/services/notification-service.ts'
import { resendMessage } from '../../server/services/outbox-service.ts'
import { queueDueReminders } from '../../server/services/reminder-service.ts'
import { asStaff, bookNew, bookingInput, createClass, createLocation, createStaff, giveSmsConsent, staffIdOf } from '../helpers/factories.ts'
import { createTestDb } from '../helpers/database.ts'
import { FAKE_TOKEN, type FakeGateway, type GatewayRequest, startFakeGateway } from '../helpers/fake-gateway.ts'

const QUIET: QuietHours = { from: 21, to: 8 }
const context = { publicUrl: 'http://kurser.test', organisationName: 'Testbiblioteket', contactPhone: '70 10 20 30', contactEmail: '' }
const smsContext = { publicUrl: context.publicUrl, contactPhone: context.contactPhone, includeLink: false }

/** A moment in Copenhagen time. */
const at = (date: string, time: string) => new Date(fromLocal(date, time))
const minutesAfter = (moment: Date, minutes: number) => new Date(moment.getTime() + minutes * 60_000)

interface WorkerSettings { transport?: SmsTransport | null, quietHours?: QuietHours | null, monthlyLimit?: number, timeoutMs?: number }

/** An outbox worker that sends texts through GatewayAPI's REST API, here the fake one; no e-mail. */
function smsWorker (db: Db, gateway: FakeGateway, settings: WorkerSettings = {}): OutboxWorker {
  const transport = settings.transport !== undefined ? settings.transport : createGatewayApiTransport({ url: gateway.url, token: FAKE_TOKEN, sender: 'Bibliotek', timeoutMs: settings.timeoutMs ?? 20_000 })
  return new OutboxWorker({
    db,
    transport: null,
    from: 'Testbiblioteket <kurser@bib.test>',
    context,
    leaseMs: 60_000,
    sms: { transport, quietHours: settings.quietHours !== undefined ? settings.quietHours : QUIET, monthlyLimit: settings.monthlyLimit ?? 0, context: smsContext }
  })
}

interface Booked { id: number, token: string, code: string }

/**
 * A booking by phone, as the booking form makes it once someone says yes to texts: the
 * booking, the consent, and the text about it (the booking service queues it as it books).
 */
async function bookByPhone (db: Db, classId: number, name: string, phone: string | null, now: Date, opts: { booker?: { name: string, phone: string }, consent?: boolean } = {}): Promise<Booked> {
  const outcome = await bookNew(db, CITIZEN, classId, bookingInput({ name, phone, booker: opts.booker ? { ...opts.booker, email: null } : null }), { source: 'phone', now })
  const token = outcome.token as string
  const id = opts.consent === false ? (await findBookingByToken(db, token))!.id : await giveSmsConsent(db, token)
  await db.transaction().execute(async tx => {
    if (outcome.waitlistNumber === null) await notifyBooking(tx, id, 'booking_confirmed', {}, now)
    else await notifyBooking(tx, id, 'booking_waitlisted', { waitlistNumber: outcome.waitlistNumber }, now)
  })
  return { id, token, code: formatCheckinCode((await findBookingByToken(db, token))!.checkin_code) }
}

const smsRows = async (db: Db): Promise<OutboxRow[]> => await db.selectFrom('outbox').selectAll().where('channel', '=', 'sms').orderBy('id').execute()
const rowById = async (db: Db, id: number): Promise<OutboxRow> => await db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

/** What the fake gateway was asked to send, as "msisdn: text". */
const asked = (requests: GatewayRequest[]) => requests.map(r => `${r.json?.recipients[0]?.msisdn}: ${r.json?.message}`)

let gateway: FakeGateway | undefined
afterEach(async () => {
  await gateway?.close()
  gateway = undefined
})

describe('texts through GatewayAPI', () => {
  it('sends every kind of text once, to the participant and to the person who booked, with the rendered words', async () => {
    const db = await createTestDb()
    gateway = await startFakeGateway()
    const worker = smsWorker(db, gateway)
    const locationId = await createLocation(db, { name: 'Hovedbiblioteket' })
    const classId = await createClass(db, { capacity: 1, locationId, meetings: ['2030-03-05T10:00'] })
    const t0 = at('2030-03-01', '10:00')
    const anna = await bookByPhone(db, classId, 'Anna Holm', '+4520123456', t0, { booker: { name: 'Annas datter', phone: '+4530123456' } })
    const bo = await bookByPhone(db, classId, 'Bo Lund', '+4540123456', t0)

    // The worker runs after each step, with the step's time, as it does every few seconds in the server.
    const sendAt = async (now: Date) => { await worker.runOnce(() => now) }
    await sendAt(t0)
    const t1 = at('2030-03-01', '11:00')
    await cancelBooking(db, CITIZEN, anna.token, 'participant', t1)
    await sendAt(t1)
    const leader = await createStaff(db, 'leader')
    const staffId = await staffIdOf(db, leader.email)
    const t2 = at('2030-03-01', '12:00')
    const moved = { courseSlug: 'mitid-kom-godt-i-gang', locationId, partnerId: null, capacity: 1, isPublic: true, waitlistMode: 'auto' as const, note: null, meetings: [{ startsAt: fromLocal('2030-03-06', '10:00'), endsAt: fromLocal('2030-03-06', '12:00') }] }
    await updateClass(db, asStaff(staffId), classId, moved, { now: t2 })
    await sendAt(t2)
    // A day before the meeting: the reminder.
    const t3 = at('2030-03-05', '10:00')
    expect(await queueDueReminders(db, [1440], t3)).toBe(1)
    await sendAt(t3)
    // A leader's message to the class.
    await db.transaction().execute(async tx => { await notifyBooking(tx, bo.id, 'class_message', { text: 'Lokalet er flyttet til 2. sal.', from: 'Mette' }, t3) })
    await sendAt(t3)
    const t4 = at('2030-03-05', '12:00')
    await cancelClass(db, asStaff(staffId), classId, t4)
    await sendAt(t4)
    // The answers to STOP and START.
    await db.transaction().execute(async tx => {
      await queueSms(tx, { kind: 'sms_stopped' }, { msisdn: '4540123456' }, t4)
      await queueSms(tx, { kind: 'sms_started' }, { msisdn: '4540123456' }, t4)
    })
    await sendAt(t4)
    // Nothing is left to send, however late it gets.
    expect(await worker.runOnce(() => at('2030-04-01', '12:00'))).toBe(0)

    expect(asked(gateway.requests)).toEqual([
      `4520123456: Du har en plads: Kom godt i gang med MitID, tirsdag 5. marts kl. 10.00, Hovedbiblioteket. Kode: ${anna.code}. Svar STOP for ingen sms.`,
      `4530123456: Anna Holm har en plads: Kom godt i gang med MitID, tirsdag 5. marts kl. 10.00, Hovedbiblioteket. Kode: ${anna.code}. Svar STOP for ingen sms.`,
      '4540123456: Du er nr. 1 på ventelisten: Kom godt i gang med MitID, tirsdag 5. marts kl. 10.00, Hovedbiblioteket. Vi skriver, hvis der bliver plads. Svar STOP for ingen sms.',
      '4520123456: Du er afmeldt: Kom godt i gang med MitID, tirsdag 5. marts kl. 10.00.',
      '4530123456: Anna Holm er afmeldt: Kom godt i gang med MitID, tirsdag 5. marts kl. 10.00.',
      `4540123456: Du har fået en plads: Kom godt i gang med MitID, tirsdag 5. marts kl. 10.00, Hovedbiblioteket. Kode: ${bo.code}. Afbud: ring 70 10 20 30.`,
      `4540123456: Vigtigt: Kom godt i gang med MitID er ændret. Nu: onsdag 6. marts kl. 10.00, Hovedbiblioteket. Kode: ${bo.code}.`,
      `4540123456: Husk: Kom godt i gang med MitID, onsdag 6. marts kl. 10.00, Hovedbiblioteket. Kode: ${bo.code}. Afbud: ring 70 10 20 30.`,
      '4540123456: Kom godt i gang med MitID: Lokalet er flyttet til 2. sal.',
      '4540123456: Aflyst: Kom godt i gang med MitID, onsdag 6. marts kl. 10.00, Hovedbiblioteket. Vi beklager.',
      '4540123456: Du får ikke flere sms\'er fra os. Skriv START, hvis du vil have dem igen.',
      '4540123456: Du får sms\'er fra os igen. Skriv STOP, hvis du vil stoppe dem.'
    ])

    // Each request as GatewayAPI wants it, and each text taken once, recorded on its row.
    const rows = await smsRows(db)
    expect(rows.map(r => r.status)).toEqual(Array(12).fill('sent'))
    expect(rows.map(r => r.attempts)).toEqual(Array(12).fill(1))
    expect([...gateway.countsByReference().entries()]).toEqual(rows.map(r => [String(r.id), 1]))
    for (const [i, request] of gateway.requests.entries()) {
      const row = rows[i]!
      expect(request.method).toBe('POST')
      expect(request.path).toBe('/rest/mtsms')
      expect(request.headers.authorization).toBe(`Token ${FAKE_TOKEN}`)
      expect(request.headers['content-type']).toBe('application/json')
      expect(request.json).toEqual({ sender: 'Bibliotek', message: row.subject, recipients: [{ msisdn: Number(row.recipient) }], userref: String(row.id) })
      expect(row.message_id).toBe(String(gateway.sent[i]!.id))
      // The words sent are those renderSms makes, kept on the row for staff to read.
      expect(request.json?.message).toBe(renderSms(messageOf(row), { ...smsContext, now: new Date(row.sent_at!) }))
    }
    expect(rows.map(r => r.kind)).toEqual([
      'booking_confirmed', 'booking_confirmed', 'booking_waitlisted', 'booking_cancelled', 'booking_cancelled', 'booking_promoted',
      'class_changed', 'reminder', 'class_message', 'class_cancelled', 'sms_stopped', 'sms_started'
    ])
  })

  it('sends nothing without consent, to a number that said STOP, or to a landline', async () => {
    const db = await createTestDb()
    gateway = await startFakeGateway()
    const classId = await createClass(db, { meetings: ['2030-03-05T10:00'] })
    const t0 = at('2030-03-01', '10:00')
    await setNumberStopped(db, '4520000002', true, t0.toISOString())
    await setNumberLandline(db, '4520000004', true, t0.toISOString())
    await bookByPhone(db, classId, 'Carl', '+4520000001', t0, { consent: false })
    await bookByPhone(db, classId, 'Dora', '+4520000002', t0)
    await bookByPhone(db, classId, 'Erik', '+4533123456', t0)
    await bookByPhone(db, classId, 'Frida', '+4520000004', t0)
    // Staff book for Gitte, whose own number is a landline: her daughter's mobile gets the text.
    await bookByPhone(db, classId, 'Gitte', '+4586123456', t0, { booker: { name: 'Gittes datter', phone: '+4520000005' } })
    await bookByPhone(db, classId, 'Hans', '+4520000006', t0)

    expect((await smsRows(db)).map(r => r.recipient)).toEqual(['4520000005', '4520000006'])
    await smsWorker(db, gateway).runOnce(() => t0)
    expect(gateway.sent.map(t => t.msisdn)).toEqual(['4520000005', '4520000006'])
    expect(gateway.sent[0]?.message).toMatch(/^Gitte har en plads/)
  })

  it('sends nothing to a number that says STOP while a worker holds its text', async () => {
    const db = await createTestDb()
    gateway = await startFakeGateway()
    const classId = await createClass(db, { meetings: ['2030-03-05T10:00'] })
    const t0 = at('2030-03-01', '10:00')
    await bookByPhone(db, classId, 'Ida', '+4520000007', t0)
    // A worker took the text and died holding it; STOP withdraws what is queued, not this one.
    await db.updateTable('outbox').set({ status: 'claimed', claimed_by: 'dead', claimed_until: minutesAfter(t0, 1).toISOString() }).execute()
    await setNumberStopped(db, '4520000007', true, t0.toISOString())
    expect(await withdrawQueuedSms(db, '4520000007', 'STOP')).toBe(0)

    expect(await smsWorker(db, gateway).runOnce(() => minutesAfter(t0, 2))).toBe(1)
    expect(gateway.requests).toHaveLength(0)
    const [row] = await smsRows(db)
    expect(row?.status).toBe('failed')
    expect(row?.last_error).toMatch(/STOP/)
  })

  it('keeps quiet at night: a text queued at 22.30 goes at 08.00, unless its meeting is before that', async () => {
    const db = await createTestDb()
    gateway = await startFakeGateway()
    const worker = smsWorker(db, gateway)
    const later = await createClass(db, { meetings: ['2030-03-12T10:00'] })
    const early = await createClass(db, { meetings: ['2030-03-05T07:30', '2030-03-12T07:30'] })
    // Booked in the day: the text about the early class goes then.
    const ole = await bookByPhone(db, early, 'Ole', '+4520000010', at('2030-03-01', '10:00'))
    await worker.runOnce(() => at('2030-03-01', '10:00'))
    expect(gateway.sent).toHaveLength(1)

    const evening = at('2030-03-04', '22:30')
    const karen = await bookByPhone(db, later, 'Karen', '+4520000011', evening)
    // The reminder ten hours before the 07.30 meeting is due at 21.30: it cannot wait till morning.
    expect(await queueDueReminders(db, [600], evening)).toBe(1)
    // Nor can the text about a class that begins at 07.30 tomorrow.
    const lis = await bookByPhone(db, early, 'Lis', '+4520000012', evening)

    expect(await worker.runOnce(() => minutesAfter(evening, 1))).toBe(3)
    const karensText = (await smsRows(db)).find(r => r.booking_id === karen.id)!
    expect(karensText.status).toBe('queued')
    expect(karensText.attempts).toBe(0)
    expect(karensText.not_before).toBe(at('2030-03-05', '08:00').toISOString())
    expect(karensText.last_error).toMatch(/stille-timerne/)
    expect(asked(gateway.requests.slice(1))).toEqual([
      expect.stringMatching(/^4520000010: Husk: Kom godt i gang med MitID, tirsdag 5\. marts kl\. 07\.30/),
      expect.stringMatching(/^4520000012: Du har en plads: Kom godt i gang med MitID, tirsdag 5\. marts kl\. 07\.30/)
    ])
    expect((await smsRows(db)).filter(r => [ole.id, lis.id].includes(r.booking_id!)).map(r => r.status)).toEqual(['sent', 'sent', 'sent'])

    // Not at 07.59; at 08.00 it goes, once, its try counted only now.
    expect(await worker.runOnce(() => at('2030-03-05', '07:59'))).toBe(0)
    expect(await worker.runOnce(() => at('2030-03-05', '08:00'))).toBe(1)
    const sent = await rowById(db, karensText.id)
    expect([sent.status, sent.attempts, sent.last_error]).toEqual(['sent', 1, null])
    expect(gateway.sent.map(t => t.msisdn)).toEqual(['4520000010', '4520000010', '4520000012', '4520000011'])
    expect(gateway.countsByReference().get(String(karensText.id))).toBe(1)
  })

  it('answers STOP at once, also at night', async () => {
    const db = await createTestDb()
    gateway = await startFakeGateway()
    await db.transaction().execute(async tx => { await queueSms(tx, { kind: 'sms_stopped' }, { msisdn: '4520000020' }, at('2030-03-04', '23:10')) })
    await smsWorker(db, gateway).runOnce(() => at('2030-03-04', '23:11'))
    expect(asked(gateway.requests)).toEqual(['4520000020: Du får ikke flere sms\'er fra os. Skriv START, hvis du vil have dem igen.'])
  })

  it('stops at the month\'s budget, and sends what waited when the next month begins', async () => {
    const db = await createTestDb()
    gateway = await startFakeGateway()
    const worker = smsWorker(db, gateway, { monthlyLimit: 2 })
    const classId = await createClass(db, { meetings: ['2030-04-10T10:00'] })
    const t0 = at('2030-03-20', '10:00')
    for (const [i, name] of ['Anna', 'Bo', 'Carl'].entries()) await bookByPhone(db, classId, name, `+452000003${i}`, t0)

    expect(await worker.runOnce(() => t0)).toBe(3)
    expect(gateway.sent.map(t => t.msisdn)).toEqual(['4520000030', '4520000031'])
    const [, , third] = await smsRows(db)
    expect(third?.status).toBe('queued')
    expect(third?.attempts).toBe(0)
    expect(third?.last_error).toMatch(/budget/)
    // Still the same month: it waits.
    expect(await worker.runOnce(() => at('2030-03-31', '20:00'))).toBe(1)
    expect(gateway.requests).toHaveLength(2)
    // A new month (Copenhagen time), and the morning: it goes.
    expect(await worker.runOnce(() => at('2030-04-01', '08:00'))).toBe(1)
    expect(gateway.sent.map(t => t.msisdn)).toEqual(['4520000030', '4520000031', '4520000032'])
    expect((await rowById(db, third!.id)).status).toBe('sent')
  })

  it('tries again after 500, 429 and no answer, and sends the text once', async () => {
    const db = await createTestDb()
    gateway = await startFakeGateway()
    const worker = smsWorker(db, gateway)
    const classId = await createClass(db, { meetings: ['2030-03-05T10:00'] })
    const t0 = at('2030-03-01', '10:00')
    await bookByPhone(db, classId, 'Anna', '+4520000040', t0)
    gateway.answers.push(500, 429, 'hang', 200)

    expect(await worker.runOnce(() => t0)).toBe(1)
    let [row] = await smsRows(db)
    expect([row?.status, row?.attempts]).toEqual(['queued', 1])
    expect(row?.last_error).toContain('500 Internal server error')
    expect(row?.not_before).toBe(new Date(t0.getTime() + retryDelayMs(1)).toISOString())
    // Not due yet: nothing is tried.
    expect(await worker.runOnce(() => minutesAfter(t0, 0.5))).toBe(0)

    const t1 = new Date(t0.getTime() + retryDelayMs(1))
    await worker.runOnce(() => t1)
    ;[row] = await smsRows(db)
    expect([row?.status, row?.attempts]).toEqual(['queued', 2])
    expect(row?.last_error).toContain('429 Too many requests')
    expect(row?.not_before).toBe(new Date(t1.getTime() + retryDelayMs(2)).toISOString())

    // No answer at all: the request times out, and the text is tried again. (A worker that
    // waits only a moment for the answer; the others wait long, so a busy machine's slow
    // answer is never taken for no answer.)
    const t2 = new Date(t1.getTime() + retryDelayMs(2))
    await smsWorker(db, gateway, { timeoutMs: 500 }).runOnce(() => t2)
    ;[row] = await smsRows(db)
    expect([row?.status, row?.attempts]).toEqual(['queued', 3])
    expect(row?.last_error).toMatch(/Intet svar/)

    const t3 = new Date(t2.getTime() + retryDelayMs(3))
    await worker.runOnce(() => t3)
    ;[row] = await smsRows(db)
    expect([row?.status, row?.attempts, row?.last_error]).toEqual(['sent', 4, null])
    expect(gateway.requests.map(r => r.answer)).toEqual([500, 429, 'hang', 200])
    expect(gateway.sent).toHaveLength(1)
    expect(gateway.countsByReference().get(String(row?.id))).toBe(1)
    expect(await worker.runOnce(() => minutesAfter(t3, 24 * 60))).toBe(0)
  })

  it('fails at once on 401, with the provider\'s words, never tries again, and sends once when staff resend it', async () => {
    const db = await createTestDb()
    gateway = await startFakeGateway()
    const worker = smsWorker(db, gateway)
    const classId = await createClass(db, { meetings: ['2030-03-05T10:00'] })
    const t0 = at('2030-03-01', '10:00')
    await bookByPhone(db, classId, 'Anna', '+4520000050', t0)
    gateway.answers.push(401)

    await worker.runOnce(() => t0)
    let [row] = await smsRows(db)
    expect([row?.status, row?.attempts]).toEqual(['failed', 1])
    expect(row?.last_error).toBe('401 Unauthorized: invalid API token (0x0401)')
    expect(await worker.runOnce(() => minutesAfter(t0, 7 * 24 * 60))).toBe(0)
    expect(gateway.requests).toHaveLength(1)

    // The token is put right; a leader resends the text.
    const leader = await createStaff(db, 'leader')
    const t1 = at('2030-03-02', '09:00')
    expect(await resendMessage(db, asStaff(await staffIdOf(db, leader.email), 'leader'), row!.id, t1)).toBe('queued')
    expect(await worker.runOnce(() => t1)).toBe(1)
    ;[row] = await smsRows(db)
    expect(row?.status).toBe('sent')
    expect(gateway.sent).toHaveLength(1)
    expect(await worker.runOnce(() => minutesAfter(t1, 60))).toBe(0)
  })

  it('fails at once on another refusal (422), never tries again', async () => {
    const db = await createTestDb()
    gateway = await startFakeGateway()
    const classId = await createClass(db, { meetings: ['2030-03-05T10:00'] })
    await bookByPhone(db, classId, 'Anna', '+4520000060', at('2030-03-01', '10:00'))
    gateway.answers.push(422)
    const worker = smsWorker(db, gateway)
    await worker.runOnce(() => at('2030-03-01', '10:00'))
    expect(await worker.runOnce(() => at('2030-03-02', '10:00'))).toBe(0)
    const [row] = await smsRows(db)
    expect([row?.status, row?.last_error]).toEqual(['failed', '422 Invalid json request body (0x0422)'])
    expect(gateway.requests).toHaveLength(1)
  })

  it('without a provider (SMS_PROVIDER=none) keeps each text, with its words, for staff to read', async () => {
    const db = await createTestDb()
    gateway = await startFakeGateway()
    const classId = await createClass(db, { locationId: await createLocation(db, { name: 'Kulturhuset' }), meetings: ['2030-03-05T10:00'] })
    const anna = await bookByPhone(db, classId, 'Anna', '+4520000070', at('2030-03-01', '10:00'))
    await smsWorker(db, gateway, { transport: null }).runOnce(() => at('2030-03-01', '10:00'))
    const [row] = await smsRows(db)
    expect(row?.status).toBe('kept')
    expect(row?.subject).toBe(`Du har en plads: Kom godt i gang med MitID, tirsdag 5. marts kl. 10.00, Kulturhuset. Kode: ${anna.code}. Svar STOP for ingen sms.`)
    expect(gateway.requests).toHaveLength(0)
  })

  it('drops a reminder whose meeting has begun', async () => {
    const db = await createTestDb()
    gateway = await startFakeGateway()
    const classId = await createClass(db, { meetings: ['2030-03-05T10:00'] })
    await bookByPhone(db, classId, 'Anna', '+4520000080', at('2030-03-01', '10:00'))
    const worker = smsWorker(db, gateway)
    await worker.runOnce(() => at('2030-03-01', '10:00'))
    expect(await queueDueReminders(db, [1440], at('2030-03-04', '10:00'))).toBe(1)
    // The provider is down until the meeting has begun.
    gateway.defaultAnswer = 503
    await worker.runOnce(() => at('2030-03-04', '10:00'))
    gateway.defaultAnswer = 200
    await worker.runOnce(() => at('2030-03-05', '10:01'))
    const rows = await smsRows(db)
    expect(rows.map(r => r.status)).toEqual(['sent', 'failed'])
    expect(rows[1]?.last_error).toMatch(/For sent/)
    expect(gateway.sent).toHaveLength(1)
  })
})
