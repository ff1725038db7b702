import { type Kysely, sql } from 'kysely'

// Frozen in time: no imports from the app.
// A booking keeps the contact details it was made with (issue 14: a public form must
// never change where another person's messages go):
// - contact_phone, contact_email: the participant's phone and e-mail as given in this
//   booking. Messages, reminders and the call list use these, never the participant
//   record, which an anonymous booking could otherwise have filled in. Existing bookings
//   take their participant's details.
// - link_resent_at: when the link was last sent again because the same person booked
//   again (at most once per booking per 10 minutes).
// - source_key: a keyed hash of the address an online booking came from, to limit and
//   flag bursts from one address; cleared once it is no longer needed.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('bookings').addColumn('contact_phone', 'varchar(20)').execute()
  await db.schema.alterTable('bookings').addColumn('contact_email', 'varchar(254)').execute()
  await db.schema.alterTable('bookings').addColumn('link_resent_at', 'varchar(40)').execute()
  await db.schema.alterTable('bookings').addColumn('source_key', 'varchar(64)').execute()
  await sql`update bookings set
    contact_phone = (select phone from participants where participants.id = bookings.participant_id),
    contact_email = (select email from participants where participants.id = bookings.participant_id)`.execute(db)
  await db.schema.createIndex('bookings_source_key_idx').on('bookings').columns(['source_key', 'created_at']).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('bookings_source_key_idx').execute()
  for (const column of ['source_key', 'link_resent_at', 'contact_email', 'contact_phone']) {
    await db.schema.alterTable('bookings').dropColumn(column).execute()
  }
}
