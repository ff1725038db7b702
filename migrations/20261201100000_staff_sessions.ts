import type { Kysely } from 'kysely'

// Frozen in time: no imports from the app.
// Staff sessions end on the server: each staff user has a session generation, carried in
// the session cookie from sign-in. Signing out, changing the password, deactivation and
// "Log ud alle steder" count it up, so every cookie issued before stops working at once,
// on every server. The check reads the user's row by its primary key, as it already did.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('staff_users').addColumn('session_generation', 'integer', col => col.notNull().defaultTo(0)).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('staff_users').dropColumn('session_generation').execute()
}
