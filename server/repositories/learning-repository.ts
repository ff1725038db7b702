import type { DbOrTx } from '../db/connection.ts'
import type { Device } from '../db/schema.ts'

export async function insertGoalTick (db: DbOrTx, bookingId: number, goal: string, staffUserId: number | null, at: string): Promise<void> {
  await db.insertInto('learning_goal_ticks').values({ booking_id: bookingId, goal, staff_user_id: staffUserId, ticked_at: at })
    .onConflict(oc => oc.columns(['booking_id', 'goal']).doNothing()).execute()
}

export async function deleteGoalTicks (db: DbOrTx, bookingId: number, keep: string[]): Promise<void> {
  let q = db.deleteFrom('learning_goal_ticks').where('booking_id', '=', bookingId)
  if (keep.length > 0) q = q.where('goal', 'not in', keep)
  await q.execute()
}

export async function listGoalTicks (db: DbOrTx, bookingIds: number[]): Promise<Array<{ bookingId: number, goal: string, tickedAt: string }>> {
  if (bookingIds.length === 0) return []
  const rows = await db.selectFrom('learning_goal_ticks').select(['booking_id', 'goal', 'ticked_at']).where('booking_id', 'in', bookingIds).orderBy('ticked_at').execute()
  return rows.map(r => ({ bookingId: r.booking_id, goal: r.goal, tickedAt: r.ticked_at }))
}

export async function setBookingDevice (db: DbOrTx, bookingId: number, device: Device | null): Promise<void> {
  await db.updateTable('bookings').set({ device }).where('id', '=', bookingId).execute()
}
