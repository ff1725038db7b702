import type { Kysely } from 'kysely'

// Frozen in time: no imports from the app.
// classes.calendar_sequence: the SEQUENCE of the class's calendar events (RFC 5545), raised
// by every change of a meeting's time, the place, or a cancellation, so calendar programs
// take the new version. classes.calendar_modified_at: when that last happened (LAST-MODIFIED);
// null until then, when the class's created_at stands for it.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('classes').addColumn('calendar_sequence', 'integer', col => col.notNull().defaultTo(0)).execute()
  await db.schema.alterTable('classes').addColumn('calendar_modified_at', 'text').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('classes').dropColumn('calendar_modified_at').execute()
  await db.schema.alterTable('classes').dropColumn('calendar_sequence').execute()
}
