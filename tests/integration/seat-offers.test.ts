import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import type { Db } from '../../server/db/connection.ts'
import { CITIZEN, SYSTEM } from '../../server/domain/actor.ts'
import { fromLocal } from '../../server/domain/time.ts'
import { cancelBooking, recordWaitlistCall } from '../../server/services/booking-service.ts'
import { cancelClass } from '../../server/services/class-service.ts'
import { acceptOffer, declineOffer, expireOffers } from '../../server/services/offer-service.ts'
import { runReminderSchedule } from '../../server/services/reminder-service.ts'
import { receiveInbound } from '../../server/services/sms-service.ts'
import { closeWhenTestEnds } from '../helpers/cleanup.ts'
import { createTestDb, newDatabase, onPostgres, openDatabase } from '../helpers/database.ts'
import { asStaff, bookingInput, bookNew, createClass, createStaff, giveSmsConsent, staffIdOf } from '../helpers/factories.ts'
import { FAKE_TOKEN, FAKE_WEBHOOK_SECRET, startFakeGateway } from '../helpers/fake-gateway.ts'
import { buildTestApp, testConfig } from '../helpers/http.ts'

const HOUR = 3600_000
/** Bookings are made a week before the class, and the seat frees up a day later. */
const FIRST_MEETING = '2030-03-12T10:00'
const booked = new Date('2030-03-01T09:00:00.000Z')
const freed = new Date('2030-03-02T09:00:00.000Z')

const msisdnOf = (n: number) => `45${20000000 + n}`
const person = (n: number) => bookingInput({ name: `Person ${n}`, phone: `+${msisdnOf(n)}`, email: `person${n}@example.dk` })

async function newDb (): Promise<Db> {
  const db = await createTestDb()
  closeWhenTestEnds(async () => { await db.destroy() })
  return db
}

/** A class in 'offer' mode with `seated` people in its seats and `waiting` on the waiting list, all with texts on. */
async function offerClass (db: Db, opts: { capacity: number, waiting: number, meetings?: string[], offerHours?: number }) {
  const classId = await createClass(db, { capacity: opts.capacity, meetings: opts.meetings ?? [FIRST_MEETING] })
  await db.updateTable('classes').set({ waitlist_mode: 'offer', offer_hours: opts.offerHours ?? 24 }).where('id', '=', classId).execute()
  const tokens: string[] = []
  for (let n = 1; n <= opts.capacity + opts.waiting; n++) {
    const outcome = await bookNew(db, CITIZEN, classId, person(n), { source: 'online', now: booked })
    await giveSmsConsent(db, outcome.token)
    tokens.push(outcome.token)
  }
  const ids = (await db.selectFrom('bookings').select('id').where('class_id', '=', classId).orderBy('id').execute()).map(r => r.id)
  return { classId, tokens, ids }
}

const offersOf = async (db: Db, classId: number) => await db.selectFrom('seat_offers').selectAll().where('class_id', '=', classId).orderBy('id').execute()
const bookingOf = async (db: Db, id: number) => await db.selectFrom('bookings').select(['status', 'filled_by', 'cancelled_by']).where('id', '=', id).executeTakeFirstOrThrow()
const messagesTo = async (db: Db, bookingId: number, kind: string) => (await db.selectFrom('outbox').select(['channel', 'recipient', 'status', 'expires_at']).where('booking_id', '=', bookingId).where('kind', '=', kind).orderBy('id').execute())
const confirmedCount = async (db: Db, classId: number) => (await db.selectFrom('bookings').select('id').where('class_id', '=', classId).where('status', '=', 'confirmed').execute()).length

describe('seat offers with a deadline', () => {
  it('offers a freed seat to the first in line by e-mail and text, and holds it for them', async () => {
    const db = await newDb()
    const { classId, tokens, ids } = await offerClass(db, { capacity: 1, waiting: 2 })
    expect((await cancelBooking(db, CITIZEN, tokens[0]!, 'participant', freed)).promoted).toEqual([])
    const [offer] = await offersOf(db, classId)
    expect(offer).toMatchObject({ booking_id: ids[1], state: 'open', offered_at: freed.toISOString(), deadline: new Date(freed.getTime() + 24 * HOUR).toISOString() })
    expect(offer!.token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(await messagesTo(db, ids[1]!, 'seat_offer')).toEqual([
      { channel: 'sms', recipient: msisdnOf(2), status: 'queued', expires_at: offer!.deadline },
      { channel: 'email', recipient: 'person2@example.dk', status: 'queued', expires_at: offer!.deadline }
    ])
    expect((await bookingOf(db, ids[1]!)).status).toBe('waitlisted')
    // The held seat is not taken by whoever books next.
    expect((await bookNew(db, CITIZEN, classId, person(9), { source: 'online', now: freed })).status).toBe('waitlisted')
    expect(await offersOf(db, classId)).toHaveLength(1)
  })

  it('gives the seat to a JA exactly once; a second JA says the seat is already theirs', async () => {
    const db = await newDb()
    const { classId, tokens, ids } = await offerClass(db, { capacity: 1, waiting: 2 })
    await cancelBooking(db, CITIZEN, tokens[0]!, 'participant', freed)
    const [offer] = await offersOf(db, classId)
    const later = new Date(freed.getTime() + HOUR)
    expect(await acceptOffer(db, CITIZEN, offer!.token, 'email', later)).toMatchObject({ result: 'accepted', bookingId: ids[1] })
    expect(await acceptOffer(db, CITIZEN, offer!.token, 'email', later)).toMatchObject({ result: 'already_accepted' })
    // A NEJ after the JA does not take the seat away: that is what cancelling is for.
    expect(await declineOffer(db, CITIZEN, offer!.token, 'email', later)).toMatchObject({ result: 'already_accepted' })
    expect(await bookingOf(db, ids[1]!)).toMatchObject({ status: 'confirmed', filled_by: 'offer' })
    expect((await offersOf(db, classId))[0]).toMatchObject({ state: 'accepted', answered_via: 'email', answered_at: later.toISOString() })
    expect((await messagesTo(db, ids[1]!, 'booking_promoted')).map(m => m.channel)).toEqual(['sms', 'email'])
    // The offer's texts not yet sent are not sent any more.
    expect((await messagesTo(db, ids[1]!, 'seat_offer')).map(m => m.status)).toEqual(['withdrawn', 'withdrawn'])
    expect(await confirmedCount(db, classId)).toBe(1)
    expect(await acceptOffer(db, CITIZEN, 'no-such-token-0123456789abcdef', 'email', later)).toBeNull()
  })

  it('takes a NEJ off the waiting list and offers the seat to the next', async () => {
    const db = await newDb()
    const { classId, tokens, ids } = await offerClass(db, { capacity: 1, waiting: 2 })
    await cancelBooking(db, CITIZEN, tokens[0]!, 'participant', freed)
    const [offer] = await offersOf(db, classId)
    expect(await declineOffer(db, CITIZEN, offer!.token, 'sms', freed)).toMatchObject({ result: 'declined' })
    expect(await bookingOf(db, ids[1]!)).toMatchObject({ status: 'cancelled', cancelled_by: 'participant' })
    expect((await messagesTo(db, ids[1]!, 'offer_declined')).map(m => m.channel)).toEqual(['sms', 'email'])
    const offers = await offersOf(db, classId)
    expect(offers.map(o => [o.booking_id, o.state])).toEqual([[ids[1], 'declined'], [ids[2], 'open']])
  })

  it('expires an unanswered offer at its deadline, offers the seat on, and keeps the person on the list without offering again', async () => {
    const db = await newDb()
    const { classId, tokens, ids } = await offerClass(db, { capacity: 2, waiting: 3 })
    await cancelBooking(db, CITIZEN, tokens[0]!, 'participant', freed)
    const [first] = await offersOf(db, classId)
    // Before the deadline nothing expires; at it, the minute's schedule expires it.
    expect(await expireOffers(db, new Date(Date.parse(first!.deadline) - 60_000))).toBe(0)
    await runReminderSchedule(db, [], new Date(first!.deadline))
    let offers = await offersOf(db, classId)
    expect(offers.map(o => [o.booking_id, o.state])).toEqual([[ids[2], 'expired'], [ids[3], 'open']])
    expect((await bookingOf(db, ids[2]!)).status).toBe('waitlisted')
    // A JA after the deadline gets a friendly answer and no seat.
    expect(await acceptOffer(db, CITIZEN, first!.token, 'email', new Date(first!.deadline))).toMatchObject({ result: 'too_late' })
    expect((await bookingOf(db, ids[2]!)).status).toBe('waitlisted')
    // Another seat frees up: the one who let the offer expire is passed over.
    const again = new Date(Date.parse(first!.deadline) + HOUR)
    await cancelBooking(db, CITIZEN, tokens[1]!, 'participant', again)
    offers = await offersOf(db, classId)
    expect(offers.map(o => [o.booking_id, o.state])).toEqual([[ids[2], 'expired'], [ids[3], 'open'], [ids[4], 'open']])
  })

  it('answers a JA that comes after the deadline, before the minute job ran, as too late and passes the seat on', async () => {
    const db = await newDb()
    const { classId, tokens, ids } = await offerClass(db, { capacity: 1, waiting: 2 })
    await cancelBooking(db, CITIZEN, tokens[0]!, 'participant', freed)
    const [offer] = await offersOf(db, classId)
    expect(await acceptOffer(db, CITIZEN, offer!.token, 'email', new Date(Date.parse(offer!.deadline) + 1000))).toMatchObject({ result: 'too_late' })
    expect((await offersOf(db, classId)).map(o => [o.booking_id, o.state])).toEqual([[ids[1], 'expired'], [ids[2], 'open']])
  })

  it('makes several offers at once, in queue order, and no more than the free seats', async () => {
    const db = await newDb()
    const { classId, tokens, ids } = await offerClass(db, { capacity: 3, waiting: 4 })
    await cancelBooking(db, CITIZEN, tokens[0]!, 'participant', freed)
    await cancelBooking(db, CITIZEN, tokens[2]!, 'participant', freed)
    // Two more seats at once: capacity raised by a leader.
    await db.updateTable('classes').set({ capacity: 5 }).where('id', '=', classId).execute()
    await cancelBooking(db, CITIZEN, tokens[1]!, 'participant', freed)
    const offers = await offersOf(db, classId)
    expect(offers.map(o => o.booking_id)).toEqual([ids[3], ids[4], ids[5], ids[6]])
    expect(offers.every(o => o.state === 'open')).toBe(true)
  })

  it('withdraws an offer when its booking is cancelled, and the seat goes on', async () => {
    const db = await newDb()
    const { classId, tokens, ids } = await offerClass(db, { capacity: 1, waiting: 2 })
    await cancelBooking(db, CITIZEN, tokens[0]!, 'participant', freed)
    await cancelBooking(db, CITIZEN, tokens[1]!, 'participant', freed)
    expect((await offersOf(db, classId)).map(o => [o.booking_id, o.state])).toEqual([[ids[1], 'withdrawn'], [ids[2], 'open']])
    expect((await messagesTo(db, ids[1]!, 'seat_offer')).map(m => m.status)).toEqual(['withdrawn', 'withdrawn'])
  })

  it('withdraws the open offers when the class is cancelled', async () => {
    const db = await newDb()
    const { classId, tokens } = await offerClass(db, { capacity: 1, waiting: 1 })
    await cancelBooking(db, CITIZEN, tokens[0]!, 'participant', freed)
    await cancelClass(db, SYSTEM, classId, freed)
    const [offer] = await offersOf(db, classId)
    expect(offer?.state).toBe('withdrawn')
    expect(await acceptOffer(db, CITIZEN, offer!.token, 'email', freed)).toMatchObject({ result: 'withdrawn' })
    expect(await confirmedCount(db, classId)).toBe(0)
  })

  it('gives the seat at once when there is too little time to answer before the start', async () => {
    const db = await newDb()
    // The first meeting 13 hours after the seat frees: 12 hours before it leaves one hour to answer.
    const start = new Date(freed.getTime() + 13 * HOUR)
    const local = start.toLocaleString('sv-SE', { timeZone: 'Europe/Copenhagen' }).slice(0, 16).replace(' ', 'T')
    const { classId, tokens, ids } = await offerClass(db, { capacity: 1, waiting: 1, meetings: [local] })
    expect((await cancelBooking(db, CITIZEN, tokens[0]!, 'participant', freed)).promoted).toEqual([ids[1]])
    expect(await bookingOf(db, ids[1]!)).toMatchObject({ status: 'confirmed', filled_by: 'auto' })
    expect(await offersOf(db, classId)).toEqual([])
  })

  it('caps the deadline 12 hours before the first meeting', async () => {
    const db = await newDb()
    const { classId, tokens } = await offerClass(db, { capacity: 1, waiting: 1, offerHours: 72, meetings: ['2030-03-03T20:00'] })
    await cancelBooking(db, CITIZEN, tokens[0]!, 'participant', freed)
    const [offer] = await offersOf(db, classId)
    expect(offer!.deadline).toBe(new Date(Date.parse(fromLocal('2030-03-03', '20:00')) - 12 * HOUR).toISOString())
  })

  it('gives one seat when JA comes twice on the page and once by text at the same moment', async () => {
    const db = await newDb()
    const { classId, tokens, ids } = await offerClass(db, { capacity: 1, waiting: 2 })
    await cancelBooking(db, CITIZEN, tokens[0]!, 'participant', freed)
    const [offer] = await offersOf(db, classId)
    const at = new Date(freed.getTime() + HOUR)
    const [page1, page2, text] = await Promise.all([
      acceptOffer(db, CITIZEN, offer!.token, 'email', at),
      acceptOffer(db, CITIZEN, offer!.token, 'email', at),
      receiveInbound(db, SYSTEM, { providerId: 'mo-1', msisdn: msisdnOf(2), message: 'Ja' }, at)
    ])
    const results = [page1?.result, page2?.result]
    expect(text).toMatchObject({ kind: 'yes', duplicate: false, answered: true })
    // Exactly one answer decided the offer: the page's if it says so, else the text's.
    const decidedByPage = results.filter(r => r === 'accepted').length
    expect(results.every(r => r === 'accepted' || r === 'already_accepted')).toBe(true)
    expect((await offersOf(db, classId))[0]!.answered_via).toBe(decidedByPage === 1 ? 'email' : 'sms')
    expect(decidedByPage).toBeLessThanOrEqual(1)
    expect(await confirmedCount(db, classId)).toBe(1)
    expect(await bookingOf(db, ids[1]!)).toMatchObject({ status: 'confirmed', filled_by: 'offer' })
    expect(await messagesTo(db, ids[1]!, 'booking_promoted')).toHaveLength(2)
    expect((await offersOf(db, classId))).toHaveLength(1)
  })

  it('answers a NEJ by text and replies to a JA that comes too late', async () => {
    const db = await newDb()
    const { classId, tokens, ids } = await offerClass(db, { capacity: 1, waiting: 2 })
    await cancelBooking(db, CITIZEN, tokens[0]!, 'participant', freed)
    expect(await receiveInbound(db, SYSTEM, { providerId: 'mo-2', msisdn: msisdnOf(2), message: 'nej tak' }, freed)).toMatchObject({ kind: 'no', answered: true })
    expect((await bookingOf(db, ids[1]!)).status).toBe('cancelled')
    const second = (await offersOf(db, classId))[1]!
    const late = new Date(Date.parse(second.deadline) + 60_000)
    await expireOffers(db, late)
    expect(await receiveInbound(db, SYSTEM, { providerId: 'mo-3', msisdn: msisdnOf(3), message: 'JA' }, late)).toMatchObject({ kind: 'yes', answered: true })
    const reply = await db.selectFrom('outbox').select(['recipient', 'payload_json']).where('kind', '=', 'offer_reply').executeTakeFirstOrThrow()
    expect(reply.recipient).toBe(msisdnOf(3))
    expect(JSON.parse(reply.payload_json)).toMatchObject({ outcome: 'too_late' })
    expect((await bookingOf(db, ids[2]!)).status).toBe('waitlisted')
  })

  it('lets staff answer for the citizen on the phone, with an audit line', async () => {
    const db = await newDb()
    const { email } = await createStaff(db, 'leader')
    const staffId = await staffIdOf(db, email)
    const { classId, tokens, ids } = await offerClass(db, { capacity: 1, waiting: 1 })
    await cancelBooking(db, CITIZEN, tokens[0]!, 'participant', freed)
    const [offer] = await offersOf(db, classId)
    await expect(acceptOffer(db, CITIZEN, offer!.token, 'staff', freed)).rejects.toThrow()
    expect(await acceptOffer(db, asStaff(staffId), offer!.token, 'staff', freed)).toMatchObject({ result: 'accepted' })
    const audit = await db.selectFrom('audit_log').select(['action', 'subject_id', 'staff_user_id']).where('action', 'like', 'seat_offer%').execute()
    expect(audit).toEqual([{ action: 'seat_offer_accepted', subject_id: ids[1], staff_user_id: staffId }])
  })
})

describe.runIf(onPostgres)('seat offers answered on two servers at once', () => {
  it('gives each offered seat once when two connection pools answer JA at the same moment', async () => {
    const location = await newDatabase()
    const pools = [openDatabase(location, 4), openDatabase(location, 4)]
    closeWhenTestEnds(async () => { await Promise.all(pools.map(async p => { await p.destroy() })) })
    const db = pools[0]!
    const { classId, tokens } = await offerClass(db, { capacity: 3, waiting: 3 })
    for (const token of tokens.slice(0, 3)) await cancelBooking(db, CITIZEN, token, 'participant', freed)
    const offers = await offersOf(db, classId)
    expect(offers).toHaveLength(3)
    const at = new Date(freed.getTime() + HOUR)
    const answers = await Promise.all(offers.flatMap(o => pools.flatMap(p => [acceptOffer(p, CITIZEN, o.token, 'email', at), acceptOffer(p, CITIZEN, o.token, 'email', at)])))
    expect(answers.filter(a => a?.result === 'accepted')).toHaveLength(3)
    expect(answers.filter(a => a?.result === 'already_accepted')).toHaveLength(9)
    expect(await confirmedCount(db, classId)).toBe(3)
    expect(await db.selectFrom('outbox').select('id').where('kind', '=', 'booking_promoted').where('channel', '=', 'email').execute()).toHaveLength(3)
  })
})

describe('a JA by text through the webhook', () => {
  it('takes the offered seat', async () => {
    const gateway = await startFakeGateway()
    closeWhenTestEnds(async () => { await gateway.close() })
    const t = await buildTestApp({ sms: { ...testConfig().sms, provider: 'gatewayapi', apiUrl: gateway.url, apiToken: FAKE_TOKEN, webhookSecret: FAKE_WEBHOOK_SECRET, quietHours: null } })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
    const now = new Date()
    const start = new Date(now.getTime() + 7 * 24 * HOUR).toLocaleString('sv-SE', { timeZone: 'Europe/Copenhagen' }).slice(0, 16).replace(' ', 'T')
    const classId = await createClass(t.db, { capacity: 1, meetings: [start] })
    await t.db.updateTable('classes').set({ waitlist_mode: 'offer' }).where('id', '=', classId).execute()
    const seat = await bookNew(t.db, CITIZEN, classId, person(1), { source: 'online' })
    const waiting = await bookNew(t.db, CITIZEN, classId, person(2), { source: 'online' })
    const waitingId = await giveSmsConsent(t.db, waiting.token)
    await cancelBooking(t.db, CITIZEN, seat.token, 'participant')
    await t.app.mail.worker.runOnce()
    const [offerText] = await gateway.waitForSent(1)
    expect(offerText?.message).toMatch(/^Der er en plads på .* Svar JA inden \S+ kl\. \d\d\.\d\d, ellers går den videre\./)
    expect((await gateway.inbound(url, msisdnOf(2), 'Ja', { id: 9301 })).status).toBe(200)
    expect(await bookingOf(t.db, waitingId)).toMatchObject({ status: 'confirmed', filled_by: 'offer' })
    expect((await t.db.selectFrom('sms_inbound').select(['kind', 'booking_id']).executeTakeFirstOrThrow())).toEqual({ kind: 'yes', booking_id: waitingId })
  })
})

describe('seat offers and phoning the waiting list', () => {
  it('does not give a seat held by an offer to someone phoned, and a call to the offered person ends their offer', async () => {
    const db = await newDb()
    const { email } = await createStaff(db, 'leader')
    const staff = asStaff(await staffIdOf(db, email))
    const { classId, tokens, ids } = await offerClass(db, { capacity: 1, waiting: 2 })
    await cancelBooking(db, CITIZEN, tokens[0]!, 'participant', freed)
    await expect(recordWaitlistCall(db, staff, ids[2]!, 'accepted', freed)).rejects.toMatchObject({ code: 'class_full' })
    await recordWaitlistCall(db, staff, ids[1]!, 'accepted', freed)
    expect(await bookingOf(db, ids[1]!)).toMatchObject({ status: 'confirmed', filled_by: 'call' })
    expect((await offersOf(db, classId)).map(o => o.state)).toEqual(['withdrawn'])
    expect(await confirmedCount(db, classId)).toBe(1)
  })
})
