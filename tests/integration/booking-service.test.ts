import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../server/db/connection.ts'
import { CITIZEN } from '../../server/domain/actor.ts'
import type { BookingInput } from '../../server/domain/booking-form.ts'
import { DomainError } from '../../server/domain/errors.ts'
import { bookSeat, cancelBooking, findBooking } from '../../server/services/booking-service.ts'
import { WITHOUT_NEEDS_OR_BOOKER, findBookingById, insertBooking, withPersonOf } from '../../server/repositories/booking-repository.ts'
import { createTestDb } from '../helpers/database.ts'
import { bookingInput, bookNew, createClass } from '../helpers/factories.ts'

const person = (n: number, fields: Partial<BookingInput> = {}): BookingInput =>
  bookingInput({ name: `Deltager ${n}`, phone: `+45${String(20000000 + n)}`, ...fields })

async function statusOf (db: Db, token: string) {
  const view = await findBooking(db, token)
  return { status: view?.booking.status, waitlistNumber: view?.waitlistNumber }
}

describe('booking service', () => {
  let db: Db
  beforeEach(async () => { db = await createTestDb() })
  afterEach(async () => { await db.destroy() })

  it('gives seats up to capacity, then numbered waiting-list places', async () => {
    const classId = await createClass(db, { capacity: 2, meetings: ['2030-03-05T10:00'] })
    const outcomes = []
    for (let i = 1; i <= 4; i++) outcomes.push(await bookNew(db, CITIZEN, classId, person(i), { source: 'online' }))
    expect(outcomes.map(o => [o.status, o.waitlistNumber])).toEqual([
      ['confirmed', null], ['confirmed', null], ['waitlisted', 1], ['waitlisted', 2]
    ])
  })

  it('makes no second booking when the same person books again, and hands out nothing of the first', async () => {
    const classId = await createClass(db, { capacity: 1, meetings: ['2030-03-05T10:00'] })
    await bookNew(db, CITIZEN, classId, person(1), { source: 'online' })
    const again = await bookSeat(db, CITIZEN, classId, person(1, { name: 'deltager  1', email: 'ny@example.dk' }), { source: 'online' })
    expect(again).toEqual({ created: false, existingToken: null, linkResent: false })
    const count = await db.selectFrom('bookings').select(eb => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
    expect(Number(count.n)).toBe(1)
  })

  it('gives a new booking another check-in code when the one drawn is taken', async () => {
    const classId = await createClass(db, { capacity: 5, meetings: ['2030-03-05T10:00'] })
    const first = await bookNew(db, CITIZEN, classId, person(1), { source: 'online' })
    const { checkin_code: taken, participant_id: participantId } = await db.selectFrom('bookings').select(['checkin_code', 'participant_id']).where('token', '=', first.token).executeTakeFirstOrThrow()
    const drawn = [taken, taken, 'K7M3P9']
    const row = { class_id: classId, participant_id: participantId, token: 'a-new-token-for-the-test', status: 'confirmed' as const, source: 'phone' as const, person_name: 'Deltager 2', person_birth_year: null, contact_phone: null, contact_email: 'deltager2@example.dk', ...WITHOUT_NEEDS_OR_BOOKER, created_at: '2030-01-01T10:00:00.000Z', confirmed_at: '2030-01-01T10:00:00.000Z' }
    const inserted = await db.transaction().execute(async tx => await insertBooking(tx, row, () => drawn.shift()!))
    expect(drawn).toEqual([])
    expect(inserted).toMatchObject({ checkin_code: 'K7M3P9', person_name: 'Deltager 2', contact_email: 'deltager2@example.dk' })
    expect(inserted).toEqual(await db.selectFrom('bookings').selectAll().where('id', '=', inserted.id).executeTakeFirstOrThrow())
    expect(withPersonOf(inserted)).toEqual(await findBookingById(db, inserted.id))
  })

  it('lets a spouse with the same phone book their own seat', async () => {
    const classId = await createClass(db, { capacity: 5, meetings: ['2030-03-05T10:00'] })
    await bookNew(db, CITIZEN, classId, person(1, { name: 'Grethe Hansen', phone: '+4512345678' }), { source: 'online' })
    const spouse = await bookNew(db, CITIZEN, classId, person(2, { name: 'Hans Hansen', phone: '+4512345678' }), { source: 'online' })
    expect(spouse.created).toBe(true)
  })

  it('gives a freed seat to the first on the waiting list at once', async () => {
    const classId = await createClass(db, { capacity: 1, meetings: ['2030-03-05T10:00'] })
    const seat = await bookNew(db, CITIZEN, classId, person(1), { source: 'online' })
    const first = await bookNew(db, CITIZEN, classId, person(2), { source: 'online' })
    const second = await bookNew(db, CITIZEN, classId, person(3), { source: 'online' })

    const outcome = await cancelBooking(db, CITIZEN, seat.token, 'participant')
    expect(outcome.promoted).toHaveLength(1)
    expect(await statusOf(db, seat.token)).toEqual({ status: 'cancelled', waitlistNumber: null })
    expect(await statusOf(db, first.token)).toEqual({ status: 'confirmed', waitlistNumber: null })
    expect(await statusOf(db, second.token)).toEqual({ status: 'waitlisted', waitlistNumber: 1 })
  })

  it('moves the queue up when someone on the waiting list cancels, and promotes no one', async () => {
    const classId = await createClass(db, { capacity: 1, meetings: ['2030-03-05T10:00'] })
    await bookNew(db, CITIZEN, classId, person(1), { source: 'online' })
    const a = await bookNew(db, CITIZEN, classId, person(2), { source: 'online' })
    const b = await bookNew(db, CITIZEN, classId, person(3), { source: 'online' })
    expect((await cancelBooking(db, CITIZEN, a.token, 'participant')).promoted).toEqual([])
    expect(await statusOf(db, b.token)).toEqual({ status: 'waitlisted', waitlistNumber: 1 })
  })

  it('refuses a second cancel, a cancelled class, a class that has begun and an internal class online', async () => {
    const classId = await createClass(db, { capacity: 3, meetings: ['2030-03-05T10:00'] })
    const seat = await bookNew(db, CITIZEN, classId, person(1), { source: 'online' })
    await cancelBooking(db, CITIZEN, seat.token, 'participant')
    await expect(cancelBooking(db, CITIZEN, seat.token, 'participant')).rejects.toMatchObject({ code: 'booking_already_cancelled' })

    const cancelled = await createClass(db, { cancelled: true, meetings: ['2030-03-05T10:00'] })
    await expect(bookNew(db, CITIZEN, cancelled, person(2), { source: 'online' })).rejects.toMatchObject({ code: 'class_cancelled' })
    const begun = await createClass(db, { meetings: ['2020-03-05T10:00', '2030-03-12T10:00'] })
    await expect(bookNew(db, CITIZEN, begun, person(3), { source: 'online' })).rejects.toMatchObject({ code: 'class_started' })
    const internal = await createClass(db, { isPublic: false, meetings: ['2030-03-05T10:00'] })
    await expect(bookNew(db, CITIZEN, internal, person(4), { source: 'online' })).rejects.toBeInstanceOf(DomainError)
    expect((await bookNew(db, CITIZEN, internal, person(4), { source: 'phone' })).status).toBe('confirmed')
    await expect(bookNew(db, CITIZEN, 999999, person(5), { source: 'online' })).rejects.toMatchObject({ code: 'class_not_found' })
  })

  it('never fills more seats than capacity under simultaneous bookings and cancellations', async () => {
    const classId = await createClass(db, { capacity: 5, meetings: ['2030-03-05T10:00'] })
    const first = await Promise.all(Array.from({ length: 15 }, (_, i) => bookNew(db, CITIZEN, classId, person(i), { source: 'online' })))
    await Promise.all([
      ...first.slice(0, 6).map(o => cancelBooking(db, CITIZEN, o.token, 'participant')),
      ...Array.from({ length: 10 }, (_, i) => bookNew(db, CITIZEN, classId, person(100 + i), { source: 'online' }))
    ])
    const rows = await db.selectFrom('bookings').select(['status', 'id']).where('class_id', '=', classId).orderBy('id').execute()
    expect(rows.filter(r => r.status === 'confirmed')).toHaveLength(5)
    expect(rows.filter(r => r.status === 'waitlisted')).toHaveLength(25 - 6 - 5)
  })
})
