import type { Kysely } from 'kysely'

// Frozen in time: no imports from the app. API tokens get scopes (space-separated:
// classes:read classes:write bookings:read bookings:write) and an expiry. Tokens made
// before keep working as they did: all four scopes, for 12 months from this migration.
// An empty default means no scope and already expired, so a row written without them fails closed.

const ALL_SCOPES = 'classes:read classes:write bookings:read bookings:write'

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_tokens').addColumn('scopes', 'varchar(100)', col => col.notNull().defaultTo('')).execute()
  await db.schema.alterTable('api_tokens').addColumn('expires_at', 'varchar(30)', col => col.notNull().defaultTo('')).execute()
  const inAYear = new Date()
  inAYear.setUTCMonth(inAYear.getUTCMonth() + 12)
  await db.updateTable('api_tokens').set({ scopes: ALL_SCOPES, expires_at: inAYear.toISOString() }).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_tokens').dropColumn('expires_at').execute()
  await db.schema.alterTable('api_tokens').dropColumn('scopes').execute()
}
