import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../server/db/connection.ts'
import { cancelBooking, recordWaitlistCall } from '../../server/services/booking-service.ts'
import { createTestDb } from '../helpers/database.ts'
import { bookingInput, bookNew, createClass, createStaff, asStaff } from '../helpers/factories.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

const person = (n: number) => bookingInput({ name: `Person ${n}`, phone: `+45${70000000 + n}` })

describe('phoning the waiting list', () => {
  let db: Db
  let staffId: number
  beforeEach(async () => {
    db = await createTestDb()
    await createStaff(db, 'leader', 'lise@bib.dk')
    staffId = (await db.selectFrom('staff_users').select('id').executeTakeFirstOrThrow()).id
  })
  afterEach(async () => { await db.destroy() })

  async function callModeClass (capacity: number) {
    const id = await createClass(db, { capacity, meetings: ['2030-03-05T10:00'] })
    await db.updateTable('classes').set({ waitlist_mode: 'call' }).where('id', '=', id).execute()
    return id
  }
  const statuses = async (classId: number) => (await db.selectFrom('bookings').select('status').where('class_id', '=', classId).orderBy('id').execute()).map(b => b.status)
  const idsOf = async (classId: number) => (await db.selectFrom('bookings').select('id').where('class_id', '=', classId).orderBy('id').execute()).map(b => b.id)

  it('keeps a freed seat for the phone call, and a new online booking joins the queue instead of taking it', async () => {
    const id = await callModeClass(1)
    const seat = await bookNew(db, CITIZEN, id, person(1), { source: 'online' })
    await bookNew(db, CITIZEN, id, person(2), { source: 'online' })
    expect((await cancelBooking(db, CITIZEN, seat.token, 'participant')).promoted).toEqual([])
    expect(await statuses(id)).toEqual(['cancelled', 'waitlisted'])
    expect((await bookNew(db, CITIZEN, id, person(3), { source: 'online' })).status).toBe('waitlisted')
  })

  it('confirms the seat for the one who says yes, and no more than the free seats', async () => {
    const id = await callModeClass(1)
    const seat = await bookNew(db, CITIZEN, id, person(1), { source: 'online' })
    await bookNew(db, CITIZEN, id, person(2), { source: 'online' })
    await bookNew(db, CITIZEN, id, person(3), { source: 'online' })
    await bookNew(db, CITIZEN, id, person(4), { source: 'online' })
    await cancelBooking(db, CITIZEN, seat.token, 'participant')
    const [, second, third, fourth] = await idsOf(id)

    await recordWaitlistCall(db, asStaff(staffId), second!, 'no_answer')
    await recordWaitlistCall(db, asStaff(staffId), third!, 'accepted')
    await expect(recordWaitlistCall(db, asStaff(staffId), fourth!, 'accepted')).rejects.toMatchObject({ code: 'class_full' })
    await recordWaitlistCall(db, asStaff(staffId), fourth!, 'declined')
    await expect(recordWaitlistCall(db, asStaff(staffId), third!, 'no_answer')).rejects.toMatchObject({ code: 'booking_not_waiting' })
    expect(await statuses(id)).toEqual(['cancelled', 'waitlisted', 'confirmed', 'cancelled'])
    const calls = await db.selectFrom('waitlist_calls').select(['booking_id', 'outcome']).orderBy('id').execute()
    expect(calls).toEqual([{ booking_id: second, outcome: 'no_answer' }, { booking_id: third, outcome: 'accepted' }, { booking_id: fourth, outcome: 'declined' }])
  })

  it('gives the last seat to exactly one when two volunteers press "yes" at the same moment', async () => {
    const id = await callModeClass(1)
    const seat = await bookNew(db, CITIZEN, id, person(1), { source: 'online' })
    for (let i = 2; i <= 9; i++) await bookNew(db, CITIZEN, id, person(i), { source: 'online' })
    await cancelBooking(db, CITIZEN, seat.token, 'participant')
    const waiting = (await idsOf(id)).slice(1)
    const results = await Promise.allSettled(waiting.map(b => recordWaitlistCall(db, asStaff(staffId), b, 'accepted')))
    expect(results.filter(r => r.status === 'fulfilled')).toHaveLength(1)
    expect((await statuses(id)).filter(s => s === 'confirmed')).toHaveLength(1)
  })

  it('still gives freed seats away at once in the automatic mode', async () => {
    const id = await createClass(db, { capacity: 1, meetings: ['2030-03-05T10:00'] })
    const seat = await bookNew(db, CITIZEN, id, person(1), { source: 'online' })
    await bookNew(db, CITIZEN, id, person(2), { source: 'online' })
    expect((await cancelBooking(db, CITIZEN, seat.token, 'participant')).promoted).toHaveLength(1)
    expect(await statuses(id)).toEqual(['cancelled', 'confirmed'])
  })
})
