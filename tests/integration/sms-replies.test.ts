import type { AddressInfo } from 'node:net'
import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { CITIZEN } from '../../server/domain/actor.ts'
import { ZONE, copenhagenDate } from '../../server/domain/time.ts'
import { getCallList, queueDueReminders } from '../../server/services/reminder-service.ts'
import { closeWhenTestEnds } from '../helpers/cleanup.ts'
import { bookingInput, bookNew, createClass, createStaff } from '../helpers/factories.ts'
import { FAKE_TOKEN, FAKE_WEBHOOK_SECRET, startFakeGateway } from '../helpers/fake-gateway.ts'
import { buildTestApp, csrfOf, signedInAgent, testConfig } from '../helpers/http.ts'

/**
 * Texts coming back: STOP and START, delivery reports and other replies, through the
 * real app listening on a port and a fake GatewayAPI that sends the texts and calls the
 * app's webhooks back, signed as GatewayAPI signs them.
 */

const MSISDN = '4561234567'
const HOUR = 3600_000
const DAY = 24 * HOUR

async function smsApp () {
  const gateway = await startFakeGateway()
  closeWhenTestEnds(async () => { await gateway.close() })
  const t = await buildTestApp({
    sms: { ...testConfig().sms, provider: 'gatewayapi', apiUrl: gateway.url, apiToken: FAKE_TOKEN, webhookSecret: FAKE_WEBHOOK_SECRET, quietHours: null },
    reminderOffsets: [2880, 180]
  })
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  return { ...t, gateway, url: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}` }
}

type SmsApp = Awaited<ReturnType<typeof smsApp>>

/**
 * Grethe, with a mobile number and no e-mail, booked a day ago with a yes to texts, on a
 * class meeting in two and a half hours (its 3-hour reminder is due) and a week later.
 */
async function bookWithConsent (t: SmsApp) {
  const first = DateTime.now().setZone(ZONE).plus({ hours: 2, minutes: 30 }).startOf('minute')
  const classId = await createClass(t.db, { meetings: [first, first.plus({ days: 7 })].map(d => d.toISO({ includeOffset: false }) as string) })
  const booked = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Grethe Hansen', phone: `+${MSISDN}` }), { source: 'phone', now: new Date(Date.now() - DAY) })
  await t.db.updateTable('bookings').set({ sms_consent: 1 }).where('token', '=', booked.token).execute()
  const booking = await t.db.selectFrom('bookings').select('id').where('token', '=', booked.token).executeTakeFirstOrThrow()
  const meetings = await t.db.selectFrom('meetings').select('starts_at').where('class_id', '=', classId).orderBy('starts_at').execute()
  return { bookingId: booking.id, classId, second: Date.parse(meetings[1]?.starts_at ?? '') }
}

const textsOf = async (t: SmsApp, kind: string) => await t.db.selectFrom('outbox').select(['id', 'status', 'recipient']).where('channel', '=', 'sms').where('kind', '=', kind).orderBy('id').execute()
const onCallList = async (t: SmsApp, day: string, bookingId: number) => (await getCallList(t.db, day, t.config.reminderOffsets)).entries.some(e => e.bookingId === bookingId)

describe('STOP and START', () => {
  it('STOP stops every text at once and is answered once; START turns texts on again', async () => {
    const t = await smsApp()
    const { bookingId, second } = await bookWithConsent(t)
    await queueDueReminders(t.db, t.config.reminderOffsets)
    await t.app.mail.worker.runOnce()
    const [reminder] = await t.gateway.waitForSent(1)
    expect(reminder?.msisdn).toBe(MSISDN)
    // The two-day reminder of the second meeting waits in the queue for its moment.
    const twoDaysBefore = new Date(second - 2 * DAY + 60_000)
    expect(await queueDueReminders(t.db, t.config.reminderOffsets, twoDaysBefore)).toBe(1)
    const reminderDay = copenhagenDate(new Date(second - 2 * DAY))
    // A text reaches her, so nobody phones her.
    expect(await onCallList(t, reminderDay, bookingId)).toBe(false)

    // STOP as people type it; GatewayAPI delivers the first one twice.
    for (const [message, id] of [[' s t o p ', 9001], [' s t o p ', 9001], ['Stop.', 9002], ['STOP', 9003]] as const) {
      expect((await t.gateway.inbound(t.url, MSISDN, message, { id })).status).toBe(200)
    }
    await t.app.mail.worker.runOnce()
    const sent = await t.gateway.waitForSent(2)
    expect(sent).toHaveLength(2)
    expect(sent[1]?.msisdn).toBe(MSISDN)
    expect(sent[1]?.message).toContain('ikke flere sms')
    expect((await textsOf(t, 'sms_stopped')).map(r => r.status)).toEqual(['sent'])
    // The waiting reminder is withdrawn, later ones are not queued, and she is phoned instead.
    expect((await textsOf(t, 'reminder')).map(r => r.status)).toEqual(['sent', 'withdrawn'])
    expect(await queueDueReminders(t.db, t.config.reminderOffsets, new Date(second - 3 * HOUR + 60_000))).toBe(0)
    expect(await onCallList(t, reminderDay, bookingId)).toBe(true)
    const stored = await t.db.selectFrom('sms_inbound').select(['provider_id', 'kind', 'booking_id']).orderBy('id').execute()
    expect(stored).toEqual([
      { provider_id: '9001', kind: 'stop', booking_id: bookingId },
      { provider_id: '9002', kind: 'stop', booking_id: bookingId },
      { provider_id: '9003', kind: 'stop', booking_id: bookingId }
    ])

    // START: answered once, and texts go to her again.
    expect((await t.gateway.inbound(t.url, MSISDN, 'Start', { id: 9004 })).status).toBe(200)
    expect((await t.gateway.inbound(t.url, MSISDN, 'START', { id: 9005 })).status).toBe(200)
    await t.app.mail.worker.runOnce()
    expect((await t.gateway.waitForSent(3))[2]?.message).toContain('igen')
    expect((await textsOf(t, 'sms_started')).map(r => r.status)).toEqual(['sent'])
    expect(await onCallList(t, reminderDay, bookingId)).toBe(false)
    const threeHoursBefore = new Date(second - 3 * HOUR + 60_000)
    expect(await queueDueReminders(t.db, t.config.reminderOffsets, threeHoursBefore)).toBe(1)
    await t.app.mail.worker.runOnce(() => threeHoursBefore)
    expect((await t.gateway.waitForSent(4))[3]?.msisdn).toBe(MSISDN)
    // Every text was handed over once.
    expect([...t.gateway.countsByReference().values()].every(n => n === 1)).toBe(true)
  })
})

describe('delivery reports', () => {
  it('record how a text went, and put a booking whose text did not arrive on that day\'s call list, once', async () => {
    const t = await smsApp()
    const { bookingId } = await bookWithConsent(t)
    await queueDueReminders(t.db, t.config.reminderOffsets)
    await t.app.mail.worker.runOnce()
    const [text] = await t.gateway.waitForSent(1)
    if (!text) throw new Error('no text sent')
    const row = async () => await t.db.selectFrom('outbox').select(['status', 'message_id', 'delivery_status', 'delivery_error']).where('id', '=', Number(text.userref)).executeTakeFirstOrThrow()
    expect((await row()).message_id).toBe(String(text.id))

    expect((await t.gateway.report(t.url, text, 'ENROUTE')).status).toBe(200)
    expect((await row()).delivery_status).toBe('enroute')
    expect((await getCallList(t.db, copenhagenDate(new Date()), t.config.reminderOffsets)).tasks).toEqual([])

    for (let i = 0; i < 2; i++) {
      expect((await t.gateway.report(t.url, text, 'UNDELIVERABLE', { error: 'Absent subscriber', code: '0x21' })).status).toBe(200)
    }
    // A late "on its way" does not hide it.
    expect((await t.gateway.report(t.url, text, 'ENROUTE')).status).toBe(200)
    expect(await row()).toEqual({ status: 'sent', message_id: String(text.id), delivery_status: 'undeliverable', delivery_error: 'Absent subscriber (0x21)' })
    const { tasks } = await getCallList(t.db, copenhagenDate(new Date()), t.config.reminderOffsets)
    expect(tasks.map(task => ({ booking: task.booking_id, reason: task.reason, name: task.name }))).toEqual([{ booking: bookingId, reason: 'undeliverable', name: 'Grethe Hansen' }])
  })

  it('settle a text whose outcome was unknown when its report shows GatewayAPI took it', async () => {
    const t = await smsApp()
    await bookWithConsent(t)
    await queueDueReminders(t.db, t.config.reminderOffsets)
    await t.app.mail.worker.runOnce()
    const [text] = await t.gateway.waitForSent(1)
    if (!text) throw new Error('no text sent')
    // As if the server had stopped after the handover, before it wrote GatewayAPI's answer down.
    await t.db.updateTable('outbox').set({ status: 'unknown', message_id: null, sent_at: null }).where('id', '=', Number(text.userref)).execute()
    expect((await t.gateway.report(t.url, text, 'DELIVERED')).status).toBe(200)
    const row = await t.db.selectFrom('outbox').select(['status', 'message_id', 'delivery_status']).where('id', '=', Number(text.userref)).executeTakeFirstOrThrow()
    expect(row).toEqual({ status: 'sent', message_id: String(text.id), delivery_status: 'delivered' })
  })
})

describe('what staff see and do', () => {
  it('shows other replies with the sender\'s booking, newest first, to be marked as dealt with', async () => {
    const t = await smsApp()
    const { bookingId, classId } = await bookWithConsent(t)
    await t.gateway.inbound(t.url, '4540000001', 'Hvem er I?', { id: 9100 })
    await t.gateway.inbound(t.url, MSISDN, 'Jeg kommer 10 min <for sent> & tager min mand med', { id: 9101 })
    await t.gateway.inbound(t.url, MSISDN, 'STOP', { id: 9102 })
    const leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))

    const page = await leader.get('/personale/sms').expect(200)
    expect(page.text).toContain('Modtagne sms\'er (2<span class="sr-only"> ikke klaret</span>)')
    const rows = page.text.split('<tr id="sms-').slice(1)
    expect(rows).toHaveLength(3)
    // Newest first: the STOP, then Grethe's reply with her booking, then a stranger's.
    expect(rows[0]).toContain('STOP')
    expect(rows[1]).toContain('Jeg kommer 10 min &lt;for sent&gt; &amp; tager min mand med')
    expect(rows[1]).toContain('61 23 45 67')
    expect(rows[1]).toContain(`<a href="/personale/tilmeldinger/${bookingId}">Grethe Hansen</a>`)
    expect(rows[1]).toContain(`href="/personale/hold/${classId}"`)
    expect(rows[1]).toContain('Svar')
    expect(rows[2]).toContain('Ingen fundet')
    expect(rows[2]).toContain('Markér som klaret')

    const id = Number(/^(\d+)/.exec(rows[1] ?? '')?.[1])
    const done = await leader.post(`/personale/sms/${id}/klaret`).type('form').send({ _csrf: csrfOf(page.text), klaret: '1', side: '1' })
    expect(done.status).toBe(303)
    expect(done.headers.location).toBe(`/personale/sms?side=1#sms-${id}`)
    const after = await leader.get('/personale/sms').expect(200)
    expect(after.text).toContain('Modtagne sms\'er (1<span class="sr-only"> ikke klaret</span>)')
    expect(after.text.split('<tr id="sms-')[2]).toContain('✓ Klaret')
    const audit = await t.db.selectFrom('audit_log').select(['action', 'subject_type', 'subject_id']).where('action', 'like', 'sms_%').execute()
    expect(audit).toEqual([{ action: 'sms_reply_handled', subject_type: 'sms_inbound', subject_id: id }])
    // Without a fresh form, nothing happens.
    expect((await leader.post(`/personale/sms/${id}/klaret`).type('form').send({ klaret: '0' })).status).toBe(403)
    expect((await t.db.selectFrom('sms_inbound').select('handled_at').where('id', '=', id).executeTakeFirstOrThrow()).handled_at).not.toBeNull()
  })

  it('marks a number as a landline (texts withdrawn, phoned instead) and back, and shows a STOP', async () => {
    const t = await smsApp()
    const { bookingId, second } = await bookWithConsent(t)
    const twoDaysBefore = new Date(second - 2 * DAY + 60_000)
    expect(await queueDueReminders(t.db, t.config.reminderOffsets, twoDaysBefore)).toBe(1)
    const leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))

    const page = await leader.get(`/personale/tilmeldinger/${bookingId}`).expect(200)
    expect(page.text).toContain('Der er sagt ja til sms om denne tilmelding.')
    expect(page.text).toContain('Får sms.')
    const marked = await leader.post(`/personale/tilmeldinger/${bookingId}/fastnet`).type('form').send({ _csrf: csrfOf(page.text), hvem: 'participant', fastnet: '1' })
    expect(marked.status).toBe(303)
    expect((await textsOf(t, 'reminder')).map(r => r.status)).toEqual(['withdrawn'])
    expect(await onCallList(t, copenhagenDate(new Date(second - 2 * DAY)), bookingId)).toBe(true)
    const shown = await leader.get(marked.headers.location as string).expect(200)
    expect(shown.text).toContain('Nummeret er markeret som fastnet.')
    expect(shown.text).toContain('Send sms igen')

    // From the participant's page, the mark is taken away again.
    const participantId = (await t.db.selectFrom('bookings').select('participant_id').where('id', '=', bookingId).executeTakeFirstOrThrow()).participant_id
    const person = await leader.get(`/personale/deltagere/${participantId}`).expect(200)
    expect(person.text).toContain('Markeret som fastnet')
    const unmarked = await leader.post(`/personale/deltagere/${participantId}/fastnet`).type('form').send({ _csrf: csrfOf(person.text), fastnet: '0' })
    expect(unmarked.status).toBe(303)
    expect(await onCallList(t, copenhagenDate(new Date(second - 2 * DAY)), bookingId)).toBe(false)
    expect((await t.db.selectFrom('audit_log').select(['action', 'subject_type']).where('action', 'like', 'sms_%').orderBy('id').execute())).toEqual([
      { action: 'sms_landline_marked', subject_type: 'booking' },
      { action: 'sms_landline_unmarked', subject_type: 'participant' }
    ])

    // A STOP shows on both pages.
    await t.gateway.inbound(t.url, MSISDN, 'STOP', { id: 9200 })
    expect((await leader.get(`/personale/tilmeldinger/${bookingId}`).expect(200)).text).toContain('Skrev STOP')
    expect((await leader.get(`/personale/deltagere/${participantId}`).expect(200)).text).toContain('Skrev STOP')
  })
})
