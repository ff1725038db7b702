import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely'

// Frozen in time: no imports from the app.
// waitlist_mode: 'auto' gives a freed seat to the first in line at once; 'call' keeps it
// free until staff have phoned the waiting list in order. waitlist_calls records each call.

export async function up (db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter
  const id = (col: ColumnDefinitionBuilder) =>
    isPostgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey()

  await db.schema.alterTable('classes').addColumn('waitlist_mode', 'varchar(10)', col => col.notNull().defaultTo('auto')).execute()
  await db.schema.alterTable('bookings').addColumn('staff_note', 'text').execute()
  await db.schema.createTable('waitlist_calls')
    .addColumn('id', 'integer', id)
    .addColumn('booking_id', 'integer', col => col.notNull().references('bookings.id'))
    .addColumn('staff_user_id', 'integer', col => col.references('staff_users.id'))
    .addColumn('at', 'varchar(30)', col => col.notNull())
    .addColumn('outcome', 'varchar(20)', col => col.notNull())
    .execute()
  await db.schema.createIndex('waitlist_calls_booking_idx').on('waitlist_calls').column('booking_id').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('waitlist_calls').execute()
  await db.schema.alterTable('bookings').dropColumn('staff_note').execute()
  await db.schema.alterTable('classes').dropColumn('waitlist_mode').execute()
}
