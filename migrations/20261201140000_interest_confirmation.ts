import type { Kysely } from 'kysely'

// Frozen in time: no imports from the app.
// Interest-list sign-ups are confirmed before anything but the confirmation e-mail goes
// to the address (double opt-in):
// - confirmed_at: when the link in the confirmation e-mail was used; null while pending.
// - confirm_token_hash: SHA-256 (hex) of the link's random token; the token itself is
//   never stored here.
// - confirm_sent_at: when the last confirmation e-mail was queued (resend pause, expiry).
// Sign-ups that exist now were made before confirmation was asked for: they count as
// confirmed from their sign-up.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('interest_subscriptions').addColumn('confirmed_at', 'varchar(30)').execute()
  await db.schema.alterTable('interest_subscriptions').addColumn('confirm_token_hash', 'varchar(64)').execute()
  await db.schema.alterTable('interest_subscriptions').addColumn('confirm_sent_at', 'varchar(30)').execute()
  await db.schema.createIndex('interest_subscriptions_confirm_token').unique()
    .on('interest_subscriptions').column('confirm_token_hash').execute()
  await db.updateTable('interest_subscriptions').set(eb => ({ confirmed_at: eb.ref('created_at') })).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  // Without the confirmation columns every row would count as confirmed: pending ones go.
  await db.deleteFrom('interest_subscriptions').where('confirmed_at', 'is', null).execute()
  await db.schema.dropIndex('interest_subscriptions_confirm_token').execute()
  await db.schema.alterTable('interest_subscriptions').dropColumn('confirm_sent_at').execute()
  await db.schema.alterTable('interest_subscriptions').dropColumn('confirm_token_hash').execute()
  await db.schema.alterTable('interest_subscriptions').dropColumn('confirmed_at').execute()
}
