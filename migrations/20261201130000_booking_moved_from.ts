import type { Kysely } from 'kysely'

// Frozen in time: no imports from the app.
// A booking that staff moved to another class is cancelled and a new one is made there.
// The new booking points back at the old one (moved_from_booking_id), so that the old
// link can say where the booking went instead of "afmeldt". It points backwards, to an
// older row, so copying the table in id order never meets a reference to a row not yet there.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('bookings').addColumn('moved_from_booking_id', 'integer', col => col.references('bookings.id')).execute()
  await db.schema.createIndex('bookings_moved_from_idx').on('bookings').column('moved_from_booking_id').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('bookings_moved_from_idx').execute()
  await db.schema.alterTable('bookings').dropColumn('moved_from_booking_id').execute()
}
