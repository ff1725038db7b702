import type { Kysely } from 'kysely'

// Frozen in time: no imports from the app.
// "Kommer du?": bookings.coming_asked_at is when the question was put to the booking (by
// e-mail, text and on its page). It makes the question go out once, tells the door list
// whom it was asked, and is what the reminder and the release of unanswered seats count from.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('bookings').addColumn('coming_asked_at', 'text').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('bookings').dropColumn('coming_asked_at').execute()
}
