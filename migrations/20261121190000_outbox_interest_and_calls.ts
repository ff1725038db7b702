import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely'

// Frozen in time: no imports from the app.
// - outbox: every e-mail, written in the transaction of the change that causes it, then
//   sent by the worker. dedupe_key makes a scheduled message (a reminder) exist once.
// - interest_subscriptions / interest_notices: "tell me when there is a new class".
// - reminder_calls: the call list (ringeliste) ticks for participants without e-mail.

export async function up (db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter
  const id = (col: ColumnDefinitionBuilder) =>
    isPostgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey()

  await db.schema.createTable('outbox')
    .addColumn('id', 'integer', id)
    .addColumn('kind', 'varchar(40)', col => col.notNull())
    .addColumn('recipient', 'varchar(200)', col => col.notNull())
    .addColumn('subject', 'varchar(300)', col => col.notNull())
    .addColumn('payload_json', 'text', col => col.notNull())
    .addColumn('dedupe_key', 'varchar(200)', col => col.unique())
    .addColumn('booking_id', 'integer')
    .addColumn('class_id', 'integer')
    .addColumn('status', 'varchar(20)', col => col.notNull())
    .addColumn('attempts', 'integer', col => col.notNull().defaultTo(0))
    .addColumn('not_before', 'varchar(30)', col => col.notNull())
    .addColumn('expires_at', 'varchar(30)')
    .addColumn('claimed_by', 'varchar(60)')
    .addColumn('claimed_until', 'varchar(30)')
    .addColumn('created_at', 'varchar(30)', col => col.notNull())
    .addColumn('sent_at', 'varchar(30)')
    .addColumn('message_id', 'varchar(200)')
    .addColumn('last_error', 'varchar(500)')
    .execute()
  await db.schema.createIndex('outbox_status_due').on('outbox').columns(['status', 'not_before']).execute()
  await db.schema.createIndex('outbox_booking').on('outbox').column('booking_id').execute()

  await db.schema.createTable('interest_subscriptions')
    .addColumn('id', 'integer', id)
    .addColumn('course_slug', 'varchar(100)', col => col.notNull().references('courses.slug'))
    .addColumn('email', 'varchar(200)', col => col.notNull())
    .addColumn('token', 'varchar(64)', col => col.notNull().unique())
    .addColumn('created_at', 'varchar(30)', col => col.notNull())
    .addColumn('unsubscribed_at', 'varchar(30)')
    .addUniqueConstraint('interest_subscriptions_course_email', ['course_slug', 'email'])
    .execute()

  await db.schema.createTable('interest_notices')
    .addColumn('subscription_id', 'integer', col => col.notNull().references('interest_subscriptions.id').onDelete('cascade'))
    .addColumn('class_id', 'integer', col => col.notNull().references('classes.id'))
    .addColumn('at', 'varchar(30)', col => col.notNull())
    .addPrimaryKeyConstraint('interest_notices_pk', ['subscription_id', 'class_id'])
    .execute()

  await db.schema.createTable('reminder_calls')
    .addColumn('booking_id', 'integer', col => col.notNull().references('bookings.id'))
    .addColumn('meeting_id', 'integer', col => col.notNull().references('meetings.id').onDelete('cascade'))
    .addColumn('staff_user_id', 'integer', col => col.references('staff_users.id'))
    .addColumn('called_at', 'varchar(30)', col => col.notNull())
    .addPrimaryKeyConstraint('reminder_calls_pk', ['booking_id', 'meeting_id'])
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('reminder_calls').execute()
  await db.schema.dropTable('interest_notices').execute()
  await db.schema.dropTable('interest_subscriptions').execute()
  await db.schema.dropTable('outbox').execute()
}
