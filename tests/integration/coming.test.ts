import type { AddressInfo } from 'node:net'
import { DateTime } from 'luxon'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../server/db/connection.ts'
import type { ConfirmMode } from '../../server/db/schema.ts'
import { CITIZEN } from '../../server/domain/actor.ts'
import { ZONE } from '../../server/domain/time.ts'
import { answerComing, askComing } from '../../server/services/coming-service.ts'
import { getCheckinSheet } from '../../server/services/door-view-service.ts'
import { runReminderSchedule } from '../../server/services/reminder-service.ts'
import { closeWhenTestEnds } from '../helpers/cleanup.ts'
import { createTestDb } from '../helpers/database.ts'
import { bookingInput, bookNew, createClass } from '../helpers/factories.ts'
import { FAKE_TOKEN, FAKE_WEBHOOK_SECRET, startFakeGateway } from '../helpers/fake-gateway.ts'
import { buildTestApp, testConfig } from '../helpers/http.ts'

/**
 * "Kommer du?" before the first meeting: asked at its moment and once, JA recorded, NEJ
 * cancelling with the seat going on, unanswered seats released after one reminder, a JA
 * by text through the real webhook, and the answers on the door list.
 */

// The first meeting: Tuesday 5 March 2030 at 10.00 Copenhagen time (09.00 UTC).
const FIRST = '2030-03-05T10:00'
const at = (iso: string) => new Date(iso)
const BOOKED = at('2030-02-01T12:00:00Z')
// Three days before, at the same time of day.
const ASK = at('2030-03-02T09:00:00Z')
const MINUTE = 60_000

const person = (n: number) => bookingInput({ name: `Person ${n}`, email: `person${n}@example.dk` })

describe('"Kommer du?"', () => {
  let db: Db
  beforeEach(async () => { db = await createTestDb() })
  afterEach(async () => { await db.destroy() })

  async function classWith (mode: ConfirmMode, capacity: number, people: number, settings: { release_hours?: number | null } = {}) {
    const id = await createClass(db, { capacity, meetings: [FIRST, '2030-03-12T10:00'] })
    await db.updateTable('classes').set({ confirm_mode: mode, confirm_days: 3, ...settings }).where('id', '=', id).execute()
    const tokens: string[] = []
    for (let i = 1; i <= people; i++) tokens.push((await bookNew(db, CITIZEN, id, person(id * 100 + i), { source: 'online', now: BOOKED })).token)
    return { id, tokens }
  }
  const bookingsOf = async (classId: number) => await db.selectFrom('bookings').select(['id', 'token', 'status', 'coming', 'coming_asked_at', 'cancelled_by', 'filled_by']).where('class_id', '=', classId).orderBy('id').execute()
  const mailsOf = async (kind: string) => await db.selectFrom('outbox').select(['booking_id', 'payload_json']).where('kind', '=', kind).orderBy('id').execute()

  it('asks at its moment, once, when the class says "always", or "auto" with people waiting; never when off', async () => {
    const always = await classWith('always', 5, 2)
    const autoEmpty = await classWith('auto', 5, 2)
    const autoFull = await classWith('auto', 2, 3)
    const off = await classWith('off', 2, 3)

    expect((await askComing(db, new Date(ASK.getTime() - MINUTE))).asked).toBe(0)
    expect((await askComing(db, ASK)).asked).toBe(4)
    // The schedule runs each minute; nobody is asked twice.
    await runReminderSchedule(db, [], new Date(ASK.getTime() + MINUTE))
    expect((await askComing(db, new Date(ASK.getTime() + 2 * MINUTE))).asked).toBe(0)

    const askedOn = async (classId: number) => (await bookingsOf(classId)).filter(b => b.coming_asked_at !== null).map(b => b.status)
    expect(await askedOn(always.id)).toEqual(['confirmed', 'confirmed'])
    expect(await askedOn(autoEmpty.id)).toEqual([])
    // The one waiting is not asked: only those with a seat.
    expect(await askedOn(autoFull.id)).toEqual(['confirmed', 'confirmed'])
    expect(await askedOn(off.id)).toEqual([])
    const requests = await mailsOf('coming_request')
    expect(requests).toHaveLength(4)
    expect(JSON.parse(requests[0]?.payload_json ?? '{}').releaseAt).toBeNull()
  })

  it('records JA (twice is fine); NEJ cancels at once and the first on the waiting list gets the seat', async () => {
    const { id, tokens } = await classWith('auto', 2, 4)
    await askComing(db, ASK)
    const [first, second, third] = tokens as [string, string, string]

    expect(await answerComing(db, CITIZEN, first, 'yes', 'page', at('2030-03-03T08:00:00Z'))).toBe('yes')
    expect(await answerComing(db, CITIZEN, first, 'yes', 'page', at('2030-03-03T09:00:00Z'))).toBe('yes')
    // Someone on the waiting list was not asked.
    expect(await answerComing(db, CITIZEN, third, 'yes', 'page', at('2030-03-03T09:00:00Z'))).toBe('not_asked')

    expect(await answerComing(db, CITIZEN, second, 'no', 'page', at('2030-03-03T10:00:00Z'))).toBe('no')
    expect(await answerComing(db, CITIZEN, second, 'no', 'page', at('2030-03-03T10:01:00Z'))).toBe('already_cancelled')
    expect(await answerComing(db, CITIZEN, second, 'yes', 'page', at('2030-03-03T10:02:00Z'))).toBe('already_cancelled')
    const rows = await bookingsOf(id)
    expect(rows.map(b => [b.status, b.coming, b.filled_by])).toEqual([
      ['confirmed', 'yes', null], ['cancelled', 'no', null], ['confirmed', null, 'auto'], ['waitlisted', null, null]
    ])
    expect((await mailsOf('booking_cancelled')).map(m => m.booking_id)).toEqual([rows[1]?.id])
    expect((await mailsOf('booking_promoted')).map(m => m.booking_id)).toEqual([rows[2]?.id])
    // Once the class has begun, answers are refused politely.
    await askComing(db, at('2030-03-03T10:05:00Z'))
    expect(await answerComing(db, CITIZEN, first, 'no', 'page', at('2030-03-05T09:00:00Z'))).toBe('started')
    expect((await bookingsOf(id))[0]?.status).toBe('confirmed')
  })

  it('releases an unanswered seat after one reminder, when the class says so, and the seat goes on; JA keeps it', async () => {
    // Released 24 hours before the start: 4 March 09.00 UTC. Asked 2 March 09.00: reminded halfway, 3 March 09.00.
    const { id, tokens } = await classWith('always', 2, 3, { release_hours: 24 })
    await askComing(db, ASK)
    const request = JSON.parse((await mailsOf('coming_request'))[0]?.payload_json ?? '{}') as { releaseAt: string }
    expect(request.releaseAt).toBe('2030-03-04T09:00:00.000Z')
    await answerComing(db, CITIZEN, tokens[0] as string, 'yes', 'page', at('2030-03-02T12:00:00Z'))

    expect((await askComing(db, at('2030-03-03T08:59:00Z'))).reminded).toBe(0)
    expect((await askComing(db, at('2030-03-03T09:00:00Z'))).reminded).toBe(1)
    expect((await askComing(db, at('2030-03-03T09:01:00Z'))).reminded).toBe(0)
    const [yes, silent, waiting] = await bookingsOf(id)
    expect((await mailsOf('coming_reminder')).map(m => m.booking_id)).toEqual([silent?.id])

    expect((await askComing(db, at('2030-03-04T08:59:00Z'))).released).toBe(0)
    expect((await askComing(db, at('2030-03-04T09:00:00Z'))).released).toBe(1)
    expect((await askComing(db, at('2030-03-04T09:01:00Z'))).released).toBe(0)
    const after = await bookingsOf(id)
    expect(after.map(b => [b.id, b.status, b.cancelled_by, b.filled_by])).toEqual([
      [yes?.id, 'confirmed', null, null], [silent?.id, 'cancelled', 'released', null], [waiting?.id, 'confirmed', null, 'auto']
    ])
    expect((await mailsOf('coming_released')).map(m => m.booking_id)).toEqual([silent?.id])
    // The one who got the seat after the question was asked is not asked (nor released for silence).
    expect(after[2]?.coming_asked_at).toBeNull()
  })

  it('shows the answers on the door list, with the counts', async () => {
    const { id, tokens } = await classWith('always', 4, 3)
    await askComing(db, ASK)
    await answerComing(db, CITIZEN, tokens[0] as string, 'yes', 'page', ASK)
    await answerComing(db, CITIZEN, tokens[1] as string, 'no', 'page', ASK)
    const meeting = await db.selectFrom('meetings').select('id').where('class_id', '=', id).orderBy('starts_at').executeTakeFirstOrThrow()
    const sheet = await getCheckinSheet(db, meeting.id)
    expect(sheet?.coming).toEqual({ yes: 1, open: 1, no: 1 })
    expect(sheet?.people.map(p => [p.name, p.coming])).toEqual([[`Person ${id * 100 + 1}`, 'yes'], [`Person ${id * 100 + 3}`, 'open']])
  })
})

describe('"Kommer du?" by text', () => {
  it('takes a JA through the inbound webhook, and the question went out as a text', async () => {
    const gateway = await startFakeGateway()
    closeWhenTestEnds(async () => { await gateway.close() })
    const t = await buildTestApp({ sms: { ...testConfig().sms, provider: 'gatewayapi', apiUrl: gateway.url, apiToken: FAKE_TOKEN, webhookSecret: FAKE_WEBHOOK_SECRET, quietHours: null } })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
    const first = DateTime.now().setZone(ZONE).plus({ days: 2 }).startOf('minute')
    const classId = await createClass(t.db, { meetings: [first.toISO({ includeOffset: false }) as string] })
    await t.db.updateTable('classes').set({ confirm_mode: 'always' }).where('id', '=', classId).execute()
    const booked = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Grethe Hansen', phone: '+4561234567', smsConsent: true }), { source: 'phone', now: new Date(Date.now() - 7 * 24 * 3600_000) })
    await t.db.deleteFrom('outbox').execute()

    expect((await askComing(t.db)).asked).toBe(1)
    await t.app.mail.worker.runOnce()
    const [question] = await gateway.waitForSent(1)
    expect(question?.message).toMatch(/^Kommer du til .+\? Svar JA eller NEJ\.$/)

    expect((await gateway.inbound(url, '4561234567', 'Ja tak', { id: 7001 })).status).toBe(200)
    const booking = await t.db.selectFrom('bookings').select(['id', 'status', 'coming']).where('token', '=', booked.token).executeTakeFirstOrThrow()
    expect(booking).toMatchObject({ status: 'confirmed', coming: 'yes' })
    expect(await t.db.selectFrom('sms_inbound').select(['kind', 'booking_id']).execute()).toEqual([{ kind: 'yes', booking_id: booking.id }])
    // A second JA finds no open question: it is a reply for staff to read.
    expect((await gateway.inbound(url, '4561234567', 'JA', { id: 7002 })).status).toBe(200)
    expect((await t.db.selectFrom('sms_inbound').select('kind').orderBy('id').execute()).map(r => r.kind)).toEqual(['yes', 'reply'])
  })
})
