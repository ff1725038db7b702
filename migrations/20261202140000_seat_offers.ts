import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely'

// Frozen in time: no imports from the app.
// Empty chairs:
// - classes.waitlist_mode may now be 'offer': a freed seat is offered to the first in line
//   with a deadline (classes.offer_hours) instead of given at once.
// - classes.confirm_mode ('auto' | 'always' | 'off'), confirm_days, release_hours: "Kommer
//   du?" asked confirm_days before the first meeting ('auto': when people are waiting);
//   release_hours (null: never) releases seats not confirmed that long before the start.
// - bookings.coming ('yes' | 'no' | null) and coming_at: the answer to "Kommer du?".
// - bookings.filled_by: how a waiting-list booking got its seat ('auto', 'offer', 'call').
// - seat_offers: each offer of a freed seat, its deadline and what became of it.

export async function up (db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter
  const id = (col: ColumnDefinitionBuilder) =>
    isPostgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey()

  await db.schema.alterTable('classes').addColumn('offer_hours', 'integer', col => col.notNull().defaultTo(24)).execute()
  await db.schema.alterTable('classes').addColumn('confirm_mode', 'varchar(10)', col => col.notNull().defaultTo('auto')).execute()
  await db.schema.alterTable('classes').addColumn('confirm_days', 'integer', col => col.notNull().defaultTo(3)).execute()
  await db.schema.alterTable('classes').addColumn('release_hours', 'integer').execute()
  await db.schema.alterTable('bookings').addColumn('coming', 'varchar(5)').execute()
  await db.schema.alterTable('bookings').addColumn('coming_at', 'text').execute()
  await db.schema.alterTable('bookings').addColumn('filled_by', 'varchar(10)').execute()

  await db.schema.createTable('seat_offers')
    .addColumn('id', 'integer', id)
    .addColumn('class_id', 'integer', col => col.notNull().references('classes.id').onDelete('cascade'))
    .addColumn('booking_id', 'integer', col => col.notNull().references('bookings.id').onDelete('cascade'))
    .addColumn('token', 'varchar(64)', col => col.notNull().unique())
    .addColumn('offered_at', 'text', col => col.notNull())
    .addColumn('deadline', 'text', col => col.notNull())
    .addColumn('state', 'varchar(10)', col => col.notNull())
    .addColumn('answered_at', 'text')
    .addColumn('answered_via', 'varchar(10)')
    .execute()
  await db.schema.createIndex('seat_offers_class_state').on('seat_offers').columns(['class_id', 'state']).execute()
  await db.schema.createIndex('seat_offers_booking').on('seat_offers').column('booking_id').execute()
  await db.schema.createIndex('seat_offers_deadline').on('seat_offers').columns(['state', 'deadline']).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('seat_offers').execute()
  for (const column of ['filled_by', 'coming_at', 'coming']) await db.schema.alterTable('bookings').dropColumn(column).execute()
  for (const column of ['release_hours', 'confirm_days', 'confirm_mode', 'offer_hours']) await db.schema.alterTable('classes').dropColumn(column).execute()
}
