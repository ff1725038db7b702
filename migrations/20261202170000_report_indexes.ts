import { type Kysely, sql } from 'kysely'

// Frozen in time: no imports from the app.
// The period report reads a year's 100,000 attendances and their bookings in a few passes.
// These indexes let each pass read an index alone, not the rows behind it:
// - attendances by meeting, with who came on which booking (covers attendances_meeting),
// - attendances by participant, with the meeting: "did they come before?" (covers
//   attendances_participant),
// - bookings by class, with what decides a seat taken (status, over capacity) and a seat
//   held at a meeting (source, confirmed, cancelled),
// - by class, only the bookings that freed or refilled a seat (cancelled, walk-in, from the
//   waiting list, confirmed later than made): a few in a hundred. A query uses this partial
//   index only when its WHERE has the same condition (report-repository listSeatBookings).

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('attendances_meeting_participant_idx').on('attendances').columns(['meeting_id', 'participant_id', 'booking_id']).execute()
  await db.schema.dropIndex('attendances_meeting').execute()
  await db.schema.createIndex('attendances_participant_meeting_idx').on('attendances').columns(['participant_id', 'meeting_id']).execute()
  await db.schema.dropIndex('attendances_participant').execute()
  await db.schema.createIndex('bookings_class_seat_idx').on('bookings').columns(['class_id', 'status', 'over_capacity', 'source', 'confirmed_at', 'cancelled_at']).execute()
  await db.schema.createIndex('bookings_seat_changes_idx').on('bookings').column('class_id')
    .where(sql<boolean>`cancelled_at is not null or source = 'walkin' or filled_by is not null or confirmed_at <> created_at`).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('bookings_seat_changes_idx').execute()
  await db.schema.dropIndex('bookings_class_seat_idx').execute()
  await db.schema.createIndex('attendances_participant').on('attendances').column('participant_id').execute()
  await db.schema.dropIndex('attendances_participant_meeting_idx').execute()
  await db.schema.createIndex('attendances_meeting').on('attendances').column('meeting_id').execute()
  await db.schema.dropIndex('attendances_meeting_participant_idx').execute()
}
