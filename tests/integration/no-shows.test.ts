import { describe, expect, it } from 'vitest'
import type { Db } from '../../server/db/connection.ts'
import { CITIZEN, SYSTEM } from '../../server/domain/actor.ts'
import { cancelBooking, recordWaitlistCall } from '../../server/services/booking-service.ts'
import { newCheckinKey, runCheckinAction } from '../../server/services/checkin-service.ts'
import { getAttendanceRecord, getMissedNote } from '../../server/services/no-show-service.ts'
import { buildReport } from '../../server/services/report-service.ts'
import { reportTables } from '../../server/services/report-tables.ts'
import { createTestDb } from '../helpers/database.ts'
import { asStaff, bookingInput, bookNew, createClass, createLocation, createStaff, staffIdOf } from '../helpers/factories.ts'

const MITID = 'Kom godt i gang med MitID'
const POST = 'Digital Post – læs, svar og få hjælp fra en pårørende'

/** A small booking helper: who, on which class, when; returns the booking's id and token. */
function booker (db: Db) {
  let n = 0
  return async (classId: number, name: string, at: string) => {
    const { token, status } = await bookNew(db, CITIZEN, classId, bookingInput({ name, phone: `+4540${String(++n).padStart(6, '0')}` }), { source: 'online', now: new Date(at) })
    const { id } = await db.selectFrom('bookings').select('id').where('token', '=', token).executeTakeFirstOrThrow()
    return { id, token, status }
  }
}

const meetingsOf = async (db: Db, classId: number) => await db.selectFrom('meetings').select(['id', 'starts_at']).where('class_id', '=', classId).orderBy('starts_at').execute()

async function checkIn (db: Db, meeting: { id: number, starts_at: string }, bookingId: number) {
  await runCheckinAction(db, SYSTEM, meeting.id, { key: newCheckinKey(), type: 'in', bookingId }, { mayOverfill: true, now: new Date(Date.parse(meeting.starts_at) + 5 * 60000) })
}

async function walkIn (db: Db, meeting: { id: number, starts_at: string }, name: string, overfill: boolean) {
  return await runCheckinAction(db, SYSTEM, meeting.id, { key: newCheckinKey(), type: 'walkin', person: { name, phone: null, email: null }, overfill }, { mayOverfill: true, now: new Date(Date.parse(meeting.starts_at) + 10 * 60000) })
}

/**
 * Three classes over two months (March and April 2025) and two places, counted by hand.
 *
 * K1 MitID at Hovedbiblioteket, 3 seats, automatic waiting list, 4. and 11. March 10.00:
 *   Anna, Bo, Ole get seats; Carl and Dorte wait. Bo cancels 20 Feb: Carl moves up (auto).
 *   4 March: Anna and Ole come, Carl does not.
 *   Ole cancels 5 March (after the start: no freed seat); Dorte moves up then.
 *   11 March: Anna and Carl come, Dorte does not; Pia walks in beyond the seats (no seat).
 *   Seats: 4 March Anna, Ole, Carl (3, 2 came); 11 March Anna, Carl, Dorte (3, 2 came) → 6, 4, 2.
 *   Freed 1 (Bo), refilled 1 (automatic).
 * K2 MitID at Brædstrup, 4 seats, call-down, 8 April 10.00:
 *   Eva, Finn, Jens, Quinn get seats; Gitte and Hans wait. Staff cancel Eva 25 March;
 *   Gitte is phoned and says yes 26 March (call-down). Finn cancels 1 April, Quinn 7 April;
 *   nobody is phoned. 8 April: Gitte comes, Jens does not; Ib walks in to a free seat.
 *   Seats: Gitte, Jens → 2, 1 came. Freed 3, refilled 2 (call-down 1, walk-in 1).
 * K3 Digital Post at Hovedbiblioteket, 2 seats, 15 April 13.00:
 *   Karen, Lars get seats; Mona and Nora wait. Karen cancels 10 April: Mona takes the seat by
 *   an offer. Lars cancels 12 April: Nora moves up, stored as before filled_by existed (null,
 *   confirmed later than booked → automatic). 15 April: Mona comes, Nora does not.
 *   Seats: Mona, Nora → 2, 1 came. Freed 2, refilled 2 (offer 1, automatic 1).
 */
async function seed (db: Db) {
  const a = await createLocation(db, { name: 'Hovedbiblioteket' })
  const b = await createLocation(db, { name: 'Brædstrup Bibliotek' })
  const k1 = await createClass(db, { course: 'mitid-kom-godt-i-gang', locationId: a, capacity: 3, meetings: ['2025-03-04T10:00', '2025-03-11T10:00'] })
  const k2 = await createClass(db, { course: 'mitid-kom-godt-i-gang', locationId: b, capacity: 4, meetings: ['2025-04-08T10:00'] })
  await db.updateTable('classes').set({ waitlist_mode: 'call' }).where('id', '=', k2).execute()
  const k3 = await createClass(db, { course: 'digital-post-laes-og-svar', locationId: a, capacity: 2, meetings: ['2025-04-15T13:00'] })
  // A cancelled class counts nowhere.
  await createClass(db, { course: 'digital-post-laes-og-svar', locationId: b, capacity: 2, meetings: ['2025-04-20T13:00'], cancelled: true })
  const book = booker(db)
  const leader = await staffIdOf(db, (await createStaff(db, 'leader')).email)
  const filledBy = async (id: number) => (await db.selectFrom('bookings').select(['status', 'filled_by']).where('id', '=', id).executeTakeFirstOrThrow())

  const [m1, m2] = await meetingsOf(db, k1)
  const anna = await book(k1, 'Anna', '2025-02-01T09:00:00Z')
  const bo = await book(k1, 'Bo', '2025-02-01T09:00:00Z')
  const ole = await book(k1, 'Ole', '2025-02-01T09:00:00Z')
  const carl = await book(k1, 'Carl', '2025-02-02T09:00:00Z')
  const dorte = await book(k1, 'Dorte', '2025-02-02T09:00:00Z')
  expect([carl.status, dorte.status]).toEqual(['waitlisted', 'waitlisted'])
  await cancelBooking(db, CITIZEN, bo.token, 'participant', new Date('2025-02-20T09:00:00Z'))
  expect(await filledBy(carl.id)).toEqual({ status: 'confirmed', filled_by: 'auto' })
  await checkIn(db, m1!, anna.id)
  await checkIn(db, m1!, ole.id)
  await cancelBooking(db, CITIZEN, ole.token, 'participant', new Date('2025-03-05T09:00:00Z'))
  expect(await filledBy(dorte.id)).toEqual({ status: 'confirmed', filled_by: 'auto' })
  await checkIn(db, m2!, anna.id)
  await checkIn(db, m2!, carl.id)
  expect((await walkIn(db, m2!, 'Pia', true)).outcome).toBe('checked_in')

  const [k2m] = await meetingsOf(db, k2)
  const eva = await book(k2, 'Eva', '2025-03-01T09:00:00Z')
  const finn = await book(k2, 'Finn', '2025-03-01T09:00:00Z')
  const jens = await book(k2, 'Jens', '2025-03-01T09:00:00Z')
  const quinn = await book(k2, 'Quinn', '2025-03-01T09:00:00Z')
  const gitte = await book(k2, 'Gitte', '2025-03-02T09:00:00Z')
  const hans = await book(k2, 'Hans', '2025-03-02T09:00:00Z')
  await cancelBooking(db, asStaff(leader), eva.token, 'staff', new Date('2025-03-25T09:00:00Z'))
  expect(await filledBy(gitte.id)).toEqual({ status: 'waitlisted', filled_by: null })
  await recordWaitlistCall(db, asStaff(leader), gitte.id, 'accepted', new Date('2025-03-26T09:00:00Z'))
  expect(await filledBy(gitte.id)).toEqual({ status: 'confirmed', filled_by: 'call' })
  await cancelBooking(db, CITIZEN, finn.token, 'participant', new Date('2025-04-01T09:00:00Z'))
  await cancelBooking(db, CITIZEN, quinn.token, 'participant', new Date('2025-04-07T09:00:00Z'))
  await checkIn(db, k2m!, gitte.id)
  const ib = await walkIn(db, k2m!, 'Ib', false)
  expect((await db.selectFrom('bookings').select('over_capacity').where('id', '=', ib.bookingId!).executeTakeFirstOrThrow()).over_capacity).toBe(0)
  expect((await filledBy(hans.id)).status).toBe('waitlisted')

  const [k3m] = await meetingsOf(db, k3)
  const karen = await book(k3, 'Karen', '2025-03-10T09:00:00Z')
  const lars = await book(k3, 'Lars', '2025-03-10T09:00:00Z')
  const mona = await book(k3, 'Mona', '2025-03-11T09:00:00Z')
  const nora = await book(k3, 'Nora', '2025-03-11T09:00:00Z')
  // Mona accepts an offer: the row as the offer service leaves it (offers are built elsewhere).
  await cancelBooking(db, CITIZEN, karen.token, 'participant', new Date('2025-04-10T09:00:00Z'))
  await db.updateTable('bookings').set({ filled_by: 'offer', confirmed_at: '2025-04-10T15:00:00.000Z' }).where('id', '=', mona.id).execute()
  // Nora moves up automatically, stored as a booking from before filled_by existed.
  await cancelBooking(db, CITIZEN, lars.token, 'participant', new Date('2025-04-12T09:00:00Z'))
  await db.updateTable('bookings').set({ filled_by: null }).where('id', '=', nora.id).execute()
  expect((await filledBy(nora.id)).status).toBe('confirmed')
  await checkIn(db, k3m!, mona.id)
  return { jens, nora, carl, dorte }
}

const PERIOD = { from: '2025-01-01', to: '2025-12-31' }
const row = (label: string, booked: number, attended: number) => ({ label, booked, attended, noShows: booked - attended, noShowRate: booked - attended === 0 ? 0 : (booked - attended) / booked })

describe('no-shows and refilled seats in the report', () => {
  it('counts booked meeting-seats, no-shows and refills as counted by hand', async () => {
    const db = await createTestDb()
    await seed(db)
    const r = await buildReport(db, PERIOD, new Date('2025-05-01T10:00:00Z'))
    // Per course: MitID K1 (6, 4) + K2 (2, 1); Digital Post K3 (2, 1).
    expect(r.noShows.byCourse).toEqual([row(POST, 2, 1), row(MITID, 8, 5)])
    // Per place: Hovedbiblioteket K1 + K3 (8, 5); Brædstrup K2 (2, 1).
    expect(r.noShows.byPlace).toEqual([row('Brædstrup Bibliotek', 2, 1), row('Hovedbiblioteket', 8, 5)])
    // Per month: March K1 (6, 4); April K2 + K3 (4, 2).
    expect(r.noShows.byMonth).toEqual([row('marts 2025', 6, 4), row('april 2025', 4, 2)])
    expect(r.noShows.total).toEqual(row('I alt', 10, 6))
    // Hovedbiblioteket: Bo (auto), Karen (offer), Lars (auto, from before filled_by): 3 of 3.
    // Brædstrup: Eva (call-down), Finn (walk-in Ib), Quinn (not refilled): 2 of 3.
    expect(r.refills.rows).toEqual([
      { label: 'Brædstrup Bibliotek', freed: 3, refilled: 2, byKind: { offer: 0, auto: 0, call: 1, walkin: 1 }, share: 2 / 3 },
      { label: 'Hovedbiblioteket', freed: 3, refilled: 3, byKind: { offer: 1, auto: 2, call: 0, walkin: 0 }, share: 1 }
    ])
    expect(r.refills.total).toEqual({ label: 'I alt', freed: 6, refilled: 5, byKind: { offer: 1, auto: 2, call: 1, walkin: 1 }, share: 5 / 6 })

    // The tables as page and exports get them.
    const tables = new Map(reportTables(r).map(t => [t.id, t]))
    expect(tables.get('udeblevet-maaned')?.rows).toEqual([['marts 2025', 6, 4, 2, { share: 2 / 6 }], ['april 2025', 4, 2, 2, { share: 0.5 }]])
    expect(tables.get('genbesat')?.total).toEqual(['I alt', 6, 5, 1, 2, 1, 1, { share: 5 / 6 }])
    expect(tables.get('noegletal')?.rows).toContainEqual(['Udeblevet fra tilmeldte pladser', { share: 0.4 }])
    await db.destroy()
  })

  it('counts a meeting only once its Copenhagen day has passed', async () => {
    const db = await createTestDb()
    await seed(db)
    // 22.00 in Copenhagen on 15 April: Digital Post met today, and is not counted yet.
    const evening = await buildReport(db, PERIOD, new Date('2025-04-15T20:00:00Z'))
    expect(evening.noShows.byCourse).toEqual([row(MITID, 8, 5)])
    expect(evening.noShows.total).toEqual(row('I alt', 8, 5))
    // 00.30 on 16 April in Copenhagen (still the 15th in UTC): now it is.
    const night = await buildReport(db, PERIOD, new Date('2025-04-15T22:30:00Z'))
    expect(night.noShows.total).toEqual(row('I alt', 10, 6))
    await db.destroy()
  })

  it('shows a person\'s meetings as came or missed, newest first', async () => {
    const db = await createTestDb()
    const { carl, dorte } = await seed(db)
    const participantOf = async (bookingId: number) => (await db.selectFrom('bookings').select('participant_id').where('id', '=', bookingId).executeTakeFirstOrThrow()).participant_id
    const came = async (bookingId: number) => (await getAttendanceRecord(db, await participantOf(bookingId), new Date('2025-05-01T10:00:00Z'))).map(m => [m.startsAt, m.came])
    expect(await came(carl.id)).toEqual([['2025-03-11T09:00:00.000Z', true], ['2025-03-04T09:00:00.000Z', false]])
    // Dorte waited for the first meeting: only the second is hers.
    expect(await came(dorte.id)).toEqual([['2025-03-11T09:00:00.000Z', false]])
    await db.destroy()
  })
})

describe('the note on someone who missed their last two classes', () => {
  it('appears after two missed classes, not after one, and not when they cancelled', async () => {
    const db = await createTestDb()
    const x = await createClass(db, { capacity: 10, meetings: ['2025-02-03T10:00'] })
    const y = await createClass(db, { course: 'digital-post-laes-og-svar', capacity: 10, meetings: ['2025-02-10T10:00', '2025-02-17T10:00'] })
    const z = await createClass(db, { course: 'mitid-appen', capacity: 10, meetings: ['2025-02-24T10:00'] })
    const person = async (name: string, phone: string, classes: number[]) => {
      const ids: Array<{ id: number, token: string }> = []
      for (const c of classes) {
        const { token } = await bookNew(db, CITIZEN, c, bookingInput({ name, phone }), { source: 'online', now: new Date('2025-01-10T10:00:00Z') })
        ids.push({ ...(await db.selectFrom('bookings').select(['id', 'participant_id']).where('token', '=', token).executeTakeFirstOrThrow()), token })
      }
      return { participantId: (await db.selectFrom('bookings').select('participant_id').where('id', '=', ids[0]!.id).executeTakeFirstOrThrow()).participant_id, bookings: ids }
    }
    const now = new Date('2025-03-01T10:00:00Z')
    // Sofie came to none of X and Y.
    const sofie = await person('Sofie', '+4550000001', [x, y])
    expect(await getMissedNote(db, sofie.participantId, now)).toBe('Kom ikke de sidste 2 gange uden at melde afbud (Digital Post – læs, svar og få hjælp fra en pårørende, mandag 10. februar; Kom godt i gang med MitID, mandag 3. februar).')
    // Before Y's second meeting has had its day, Y is not missed yet.
    expect(await getMissedNote(db, sofie.participantId, new Date('2025-02-17T12:00:00Z'))).toBeNull()
    // Thomas missed only Y: he came to X.
    const thomas = await person('Thomas', '+4550000002', [x, y])
    await checkIn(db, (await meetingsOf(db, x))[0]!, thomas.bookings[0]!.id)
    expect(await getMissedNote(db, thomas.participantId, now)).toBeNull()
    // Ulla missed X and Z, but cancelled Y in between: no run of two.
    const ulla = await person('Ulla', '+4550000003', [x, y, z])
    await cancelBooking(db, CITIZEN, ulla.bookings[1]!.token, 'participant', new Date('2025-02-09T10:00:00Z'))
    expect(await getMissedNote(db, ulla.participantId, now)).toBeNull()
    // Vera came to the first meeting of Y only: Y is attended.
    const vera = await person('Vera', '+4550000004', [x, y])
    await checkIn(db, (await meetingsOf(db, y))[0]!, vera.bookings[1]!.id)
    expect(await getMissedNote(db, vera.participantId, now)).toBeNull()
    await db.destroy()
  })
})
