import { type Kysely, sql } from 'kysely'

// Frozen in time: no imports from the app.
// A booking keeps the contact details it was made with (issue 14: a public form must
// never change where another person's messages go):
// - person_name, person_birth_year, contact_phone, contact_email: the person as given in
//   this booking. The booking's pages, messages, reminders and the call list use these,
//   never the participant record, which an anonymous booking could otherwise have filled
//   in or read. Existing bookings take their participant's details.
// - contact_conflict_at: when the same person was booked again with other contact
//   details (someone may have booked them first with their own address); staff see it.
// - link_resent_at: when the link was last sent again because the same person booked
//   again (at most once per booking per 10 minutes).
// - source_key: a keyed hash of the address an online booking came from, to limit and
//   flag bursts from one address; cleared once it is no longer needed.
// - An index on outbox(recipient, created_at): re-sent links are limited per address.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('bookings').addColumn('person_name', 'varchar(200)').execute()
  await db.schema.alterTable('bookings').addColumn('person_birth_year', 'integer').execute()
  await db.schema.alterTable('bookings').addColumn('contact_phone', 'varchar(20)').execute()
  await db.schema.alterTable('bookings').addColumn('contact_email', 'varchar(254)').execute()
  await db.schema.alterTable('bookings').addColumn('link_resent_at', 'varchar(40)').execute()
  await db.schema.alterTable('bookings').addColumn('source_key', 'varchar(64)').execute()
  await db.schema.alterTable('bookings').addColumn('contact_conflict_at', 'varchar(40)').execute()
  await sql`update bookings set
    person_name = (select name from participants where participants.id = bookings.participant_id),
    person_birth_year = (select birth_year from participants where participants.id = bookings.participant_id),
    contact_phone = (select phone from participants where participants.id = bookings.participant_id),
    contact_email = (select email from participants where participants.id = bookings.participant_id)`.execute(db)
  await db.schema.createIndex('bookings_source_key_idx').on('bookings').columns(['source_key', 'created_at']).execute()
  // Re-sent links are counted per address (and erasure deletes by address).
  await db.schema.createIndex('outbox_recipient_idx').on('outbox').columns(['recipient', 'created_at']).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('outbox_recipient_idx').execute()
  await db.schema.dropIndex('bookings_source_key_idx').execute()
  for (const column of ['contact_conflict_at', 'source_key', 'link_resent_at', 'contact_email', 'contact_phone', 'person_birth_year', 'person_name']) {
    await db.schema.alterTable('bookings').dropColumn(column).execute()
  }
}
