import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely'

// Frozen in time: no imports from the app.
// Text messages (SMS) beside e-mail:
// - bookings.sms_consent: the person who booked said yes to texts about this booking.
// - outbox.channel ('email' | 'sms'); for texts the provider's delivery report:
//   delivery_status ('delivered' | 'undeliverable' | 'expired' | …), delivery_at, delivery_error.
// - sms_numbers: a number that said STOP, or that staff marked as a landline.
// - sms_inbound: texts sent to our number (STOP, START and other replies).
// - call_tasks: a person staff must phone on a day (a text that did not arrive, a message
//   to a class they cannot get in writing).

export async function up (db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter
  const id = (col: ColumnDefinitionBuilder) =>
    isPostgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey()

  await db.schema.alterTable('bookings').addColumn('sms_consent', 'integer', col => col.notNull().defaultTo(0)).execute()
  await db.schema.alterTable('outbox').addColumn('channel', 'varchar(10)', col => col.notNull().defaultTo('email')).execute()
  await db.schema.alterTable('outbox').addColumn('delivery_status', 'varchar(20)').execute()
  await db.schema.alterTable('outbox').addColumn('delivery_at', 'text').execute()
  await db.schema.alterTable('outbox').addColumn('delivery_error', 'varchar(500)').execute()
  await db.schema.createIndex('outbox_channel_sent').on('outbox').columns(['channel', 'sent_at']).execute()
  await db.schema.createIndex('outbox_message_id').on('outbox').column('message_id').execute()

  await db.schema.createTable('sms_numbers')
    .addColumn('msisdn', 'varchar(20)', col => col.primaryKey())
    .addColumn('stopped_at', 'text')
    .addColumn('landline_at', 'text')
    .addColumn('updated_at', 'text', col => col.notNull())
    .execute()

  await db.schema.createTable('sms_inbound')
    .addColumn('id', 'integer', id)
    .addColumn('provider_id', 'varchar(40)', col => col.unique())
    .addColumn('msisdn', 'varchar(20)', col => col.notNull())
    .addColumn('message', 'varchar(2000)', col => col.notNull())
    .addColumn('kind', 'varchar(10)', col => col.notNull())
    .addColumn('received_at', 'text', col => col.notNull())
    .addColumn('booking_id', 'integer', col => col.references('bookings.id').onDelete('set null'))
    .addColumn('handled_at', 'text')
    .execute()
  await db.schema.createIndex('sms_inbound_received').on('sms_inbound').column('received_at').execute()

  await db.schema.createTable('call_tasks')
    .addColumn('id', 'integer', id)
    .addColumn('booking_id', 'integer', col => col.notNull().references('bookings.id').onDelete('cascade'))
    .addColumn('day', 'varchar(10)', col => col.notNull())
    .addColumn('reason', 'varchar(20)', col => col.notNull())
    .addColumn('text', 'varchar(1000)')
    .addColumn('dedupe_key', 'varchar(200)', col => col.notNull().unique())
    .addColumn('created_at', 'text', col => col.notNull())
    .addColumn('called_at', 'text')
    .addColumn('called_by', 'integer', col => col.references('staff_users.id').onDelete('set null'))
    .execute()
  await db.schema.createIndex('call_tasks_day').on('call_tasks').column('day').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('call_tasks').execute()
  await db.schema.dropTable('sms_inbound').execute()
  await db.schema.dropTable('sms_numbers').execute()
  await db.schema.dropIndex('outbox_message_id').execute()
  await db.schema.dropIndex('outbox_channel_sent').execute()
  for (const column of ['delivery_error', 'delivery_at', 'delivery_status', 'channel']) {
    await db.schema.alterTable('outbox').dropColumn(column).execute()
  }
  await db.schema.alterTable('bookings').dropColumn('sms_consent').execute()
}
