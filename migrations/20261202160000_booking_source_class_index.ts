import type { Kysely } from 'kysely'

// Frozen in time: no imports from the app.
// A booking from the public form counts the bookings from the same address in the last
// window, in all and on its class. The first count reads bookings_source_key_idx alone;
// this index lets the second one do the same, without reading the bookings themselves.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('bookings_source_class_idx').on('bookings').columns(['source_key', 'class_id', 'created_at']).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('bookings_source_class_idx').execute()
}
