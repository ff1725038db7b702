import { type Kysely, PostgresAdapter } from 'kysely'

// Frozen in time: no imports from the app.
// State that several servers on one PostgreSQL database share:
// - rate_limits: request counts per client and route for the current window. The key is
//   a keyed hash of the address, never the address itself.
// - change_counters: bumped by every state-changing request, so each server knows when
//   the pages it keeps (the catalogue, reports) were made out of date by another one.
// - Wider columns where PostgreSQL would refuse what the forms accept (SQLite does not
//   enforce lengths): e-mail addresses up to 254 characters, and the outbox's keys that
//   contain one.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('rate_limits')
    .addColumn('key', 'varchar(200)', col => col.primaryKey())
    .addColumn('hits', 'integer', col => col.notNull())
    .addColumn('expires_at', 'bigint', col => col.notNull())
    .execute()
  await db.schema.createIndex('rate_limits_expires_idx').on('rate_limits').column('expires_at').execute()
  await db.schema.createTable('change_counters')
    .addColumn('name', 'varchar(50)', col => col.primaryKey())
    .addColumn('n', 'bigint', col => col.notNull())
    .execute()
  await db.insertInto('change_counters').values({ name: 'data', n: 0 }).execute()
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await db.schema.alterTable('outbox').alterColumn('recipient', col => col.setDataType('varchar(254)')).execute()
    await db.schema.alterTable('outbox').alterColumn('dedupe_key', col => col.setDataType('varchar(500)')).execute()
    await db.schema.alterTable('interest_subscriptions').alterColumn('email', col => col.setDataType('varchar(254)')).execute()
  }
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('change_counters').execute()
  await db.schema.dropTable('rate_limits').execute()
}
