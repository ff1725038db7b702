import { describe, expect, it } from 'vitest'
import type { Db } from '../../server/db/connection.ts'
import { CITIZEN, SYSTEM } from '../../server/domain/actor.ts'
import { applyMeetingPlan } from '../../server/repositories/class-repository.ts'
import { cancelBooking } from '../../server/services/booking-service.ts'
import { newCheckinKey, runCheckinAction } from '../../server/services/checkin-service.ts'
import { mergeParticipants } from '../../server/services/participant-service.ts'
import { buildReport } from '../../server/services/report-service.ts'
import { createTestDb } from '../helpers/database.ts'
import { asStaff, bookingInput, bookNew, createClass, createStaff, staffIdOf } from '../helpers/factories.ts'
import { expectTalliesKept } from '../helpers/tallies.ts'

/*
 * The report reads, from each attendance, whether it was a walk-in and whether its booking
 * held a seat at the meeting's start, and from each participant when they first came.
 * The database keeps these with triggers (migrations/20261203100000_report_tallies.ts).
 * Here they are followed through what the app does after people have come: a tap and its
 * undo, a walk-in, a meeting moved, a cancellation between meetings, two participants merged.
 * After each step they are checked against the same worked out from scratch, and the
 * report's own numbers are checked by hand.
 */

const at = (iso: string) => new Date(iso)

async function flagsOf (db: Db, bookingId: number) {
  return await db.selectFrom('attendances').innerJoin('meetings', 'meetings.id', 'attendances.meeting_id')
    .select(['meetings.starts_at', 'attendances.walk_in', 'attendances.held_seat']).where('booking_id', '=', bookingId).orderBy('meetings.starts_at').execute()
}

const firstCame = async (db: Db, participantId: number) =>
  (await db.selectFrom('participants').select('first_came_at').where('id', '=', participantId).executeTakeFirstOrThrow()).first_came_at

describe('what the report reads of each attendance and participant stays right', () => {
  it('through taps, undos, walk-ins, a moved meeting, a cancellation between meetings and a merge', async () => {
    const db = await createTestDb()
    // Tuesdays 4 and 11 March 2025, 10.00 in Copenhagen (09.00 UTC).
    const classId = await createClass(db, { capacity: 5, meetings: ['2025-03-04T10:00', '2025-03-11T10:00'] })
    const [first, second] = await db.selectFrom('meetings').select(['id', 'starts_at']).where('class_id', '=', classId).orderBy('starts_at').execute()
    const booked = async (name: string, when: string) => {
      const { token } = await bookNew(db, CITIZEN, classId, bookingInput({ name, phone: `+45400000${name.length}${name.charCodeAt(0) % 10}` }), { source: 'online', now: at(when) })
      return await db.selectFrom('bookings').select(['id', 'participant_id', 'token']).where('token', '=', token).executeTakeFirstOrThrow()
    }
    const tap = async (meeting: { id: number, starts_at: string }, type: 'in' | 'out', bookingId: number) =>
      await runCheckinAction(db, SYSTEM, meeting.id, { key: newCheckinKey(), type, bookingId }, { now: new Date(Date.parse(meeting.starts_at) + 5 * 60000) })
    const grethe = await booked('Grethe', '2025-02-01T12:00:00Z')
    const poul = await booked('Poul', '2025-02-02T12:00:00Z')

    await tap(first!, 'in', grethe.id)
    await tap(second!, 'in', grethe.id)
    await tap(second!, 'in', poul.id)
    const walkIn = await runCheckinAction(db, SYSTEM, first!.id, { key: newCheckinKey(), type: 'walkin', person: { name: 'Karen', phone: null, email: null }, overfill: false }, { now: at('2025-03-04T09:10:00Z') })
    const karen = await db.selectFrom('bookings').select(['id', 'participant_id']).where('class_id', '=', classId).where('source', '=', 'walkin').executeTakeFirstOrThrow()
    expect(walkIn.outcome).toBe('checked_in')
    expect(await flagsOf(db, grethe.id)).toEqual([{ starts_at: first!.starts_at, walk_in: 0, held_seat: 1 }, { starts_at: second!.starts_at, walk_in: 0, held_seat: 1 }])
    expect(await flagsOf(db, karen.id)).toEqual([{ starts_at: first!.starts_at, walk_in: 1, held_seat: 0 }])
    expect(await firstCame(db, grethe.participant_id)).toBe(first!.starts_at)
    expect(await firstCame(db, poul.participant_id)).toBe(second!.starts_at)
    await expectTalliesKept(db)

    // An undo at the door: Grethe first came at the second meeting.
    await tap(first!, 'out', grethe.id)
    expect(await firstCame(db, grethe.participant_id)).toBe(second!.starts_at)
    await expectTalliesKept(db)

    // The second meeting moved back to before Poul booked: his booking held no seat at its start.
    await applyMeetingPlan(db, classId, { keep: [{ id: second!.id, startsAt: '2025-02-01T13:00:00.000Z', endsAt: '2025-02-01T15:00:00.000Z' }], add: [], remove: [], unknown: [] })
    expect(await flagsOf(db, poul.id)).toEqual([{ starts_at: '2025-02-01T13:00:00.000Z', walk_in: 0, held_seat: 0 }])
    expect(await flagsOf(db, grethe.id)).toEqual([{ starts_at: '2025-02-01T13:00:00.000Z', walk_in: 0, held_seat: 1 }])
    expect(await firstCame(db, poul.participant_id)).toBe('2025-02-01T13:00:00.000Z')
    await expectTalliesKept(db)
    await applyMeetingPlan(db, classId, { keep: [{ id: second!.id, startsAt: second!.starts_at, endsAt: '2025-03-11T11:00:00.000Z' }], add: [], remove: [], unknown: [] })
    expect((await flagsOf(db, poul.id))[0]?.held_seat).toBe(1)

    // Grethe cancels between the meetings, yet is checked in at the second (a mistake at the
    // door, or she came anyway): she held no seat at its start.
    expect(await cancelBooking(db, CITIZEN, grethe.token, 'participant', at('2025-03-06T10:00:00Z'))).toEqual({ promoted: [] })
    expect(await flagsOf(db, grethe.id)).toEqual([{ starts_at: second!.starts_at, walk_in: 0, held_seat: 0 }])
    await expectTalliesKept(db)

    // Karen and Grethe are the same person: Karen's first coming is now Grethe's too.
    const staffId = await staffIdOf(db, (await createStaff(db, 'leader')).email)
    await mergeParticipants(db, asStaff(staffId), grethe.participant_id, karen.participant_id, at('2025-04-01T10:00:00Z'))
    expect(await firstCame(db, grethe.participant_id)).toBe(first!.starts_at)
    const kept = await expectTalliesKept(db)
    expect(kept).toEqual({ attendances: 3, walkIns: 1, heldSeats: 1, cameBefore: 2 })

    // The report, counted by hand: March has three attendances, one a walk-in; in the
    // second half of March both people (Grethe, Poul) had come before.
    const march = await buildReport(db, { from: '2025-03-01', to: '2025-03-31' }, at('2025-04-02T10:00:00Z'))
    expect(march.totals).toMatchObject({ attendances: 3, walkIns: 1, participants: 2, newParticipants: 2, returningParticipants: 0 })
    const later = await buildReport(db, { from: '2025-03-10', to: '2025-03-31' }, at('2025-04-02T10:00:00Z'))
    expect(later.totals).toMatchObject({ attendances: 2, walkIns: 0, participants: 2, newParticipants: 1, returningParticipants: 1 })
    await db.destroy()
  })
})
