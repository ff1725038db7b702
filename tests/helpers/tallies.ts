import { expect } from 'vitest'
import type { DbOrTx } from '../../server/db/connection.ts'

/**
 * Checks what the triggers keep for the report (migrations/20261203100000_report_tallies.ts)
 * against the same worked out from scratch, here in JavaScript: each attendance's walk_in and
 * held_seat, each participant's first_came_at.
 */
export async function expectTalliesKept (db: DbOrTx): Promise<{ attendances: number, walkIns: number, heldSeats: number, cameBefore: number }> {
  const bookings = new Map((await db.selectFrom('bookings').select(['id', 'class_id', 'source', 'confirmed_at', 'cancelled_at']).execute()).map(b => [b.id, b]))
  const meetings = new Map((await db.selectFrom('meetings').select(['id', 'class_id', 'starts_at']).execute()).map(m => [m.id, m]))
  const attendances = await db.selectFrom('attendances').select(['id', 'booking_id', 'meeting_id', 'participant_id', 'walk_in', 'held_seat']).orderBy('id').execute()
  const first = new Map<number, string>()
  const expected = attendances.map(a => {
    const b = bookings.get(a.booking_id)!
    const m = meetings.get(a.meeting_id)!
    const earlier = first.get(a.participant_id)
    if (earlier === undefined || m.starts_at < earlier) first.set(a.participant_id, m.starts_at)
    const held = b.class_id === m.class_id && b.source !== 'walkin' && b.confirmed_at !== null && b.confirmed_at <= m.starts_at && (b.cancelled_at === null || b.cancelled_at > m.starts_at)
    return { id: a.id, walk_in: b.source === 'walkin' ? 1 : 0, held_seat: held ? 1 : 0 }
  })
  expect(attendances.map(a => ({ id: a.id, walk_in: Number(a.walk_in), held_seat: Number(a.held_seat) }))).toEqual(expected)
  const participants = await db.selectFrom('participants').select(['id', 'first_came_at']).orderBy('id').execute()
  expect(participants).toEqual(participants.map(p => ({ id: p.id, first_came_at: first.get(p.id) ?? null })))
  return {
    attendances: attendances.length,
    walkIns: expected.filter(a => a.walk_in === 1).length,
    heldSeats: expected.filter(a => a.held_seat === 1).length,
    cameBefore: first.size
  }
}
