import type { Kysely } from 'kysely'

// Frozen in time: no imports from the app. An invitation link lets a new staff user
// choose their own password; only a hash of its token is stored.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('staff_users').addColumn('invite_token_hash', 'varchar(64)').execute()
  await db.schema.alterTable('staff_users').addColumn('invite_expires_at', 'varchar(30)').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('staff_users').dropColumn('invite_expires_at').execute()
  await db.schema.alterTable('staff_users').dropColumn('invite_token_hash').execute()
}
