import { randomInt } from 'node:crypto'
import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely'

// Frozen in time: no imports from the app.
// - attendances: a participant checked in at one meeting (fremmøde).
// - checkin_actions: every check-in or undo a tablet sent, by its idempotency key, so a
//   replayed offline batch changes nothing.
// - checkin_links: a one-day link with a PIN for one meeting, for a volunteer without an account.
// - participant_firsts: each participant's first attendance per scope ('all',
//   'location:<id>', 'topic:<topic>'); counting these rows gives unique participants.
// - milestone_scopes: one row per scope, locked by a check-in while it counts.
// - milestone_rules / milestones: what to celebrate, and who it was.
// - learning_goal_ticks: a learning goal a learner reached on a booking.
// - bookings.checkin_code (the short code in the QR code), bookings.device,
//   bookings.over_capacity (a walk-in let in beyond the seats);
//   classes.walkins_over_capacity (the leader allows that).

const CODE_ALPHABET = 'ACDEFHJKLMNPRTUVWXY34679'

function newCode (): string {
  let code = ''
  for (let i = 0; i < 6; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]
  return code
}

export async function up (db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter
  const id = (col: ColumnDefinitionBuilder) =>
    isPostgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey()
  const now = new Date().toISOString()

  await db.schema.alterTable('bookings').addColumn('checkin_code', 'varchar(12)').execute()
  await db.schema.alterTable('bookings').addColumn('device', 'varchar(20)').execute()
  await db.schema.alterTable('bookings').addColumn('over_capacity', 'integer', col => col.notNull().defaultTo(0)).execute()
  await db.schema.alterTable('classes').addColumn('walkins_over_capacity', 'integer', col => col.notNull().defaultTo(0)).execute()
  const existing = await db.selectFrom('bookings').select('id').execute() as Array<{ id: number }>
  const used = new Set<string>()
  for (const { id: bookingId } of existing) {
    let code = newCode()
    while (used.has(code)) code = newCode()
    used.add(code)
    await db.updateTable('bookings').set({ checkin_code: code }).where('id', '=', bookingId).execute()
  }
  await db.schema.createIndex('bookings_checkin_code').unique().on('bookings').column('checkin_code').execute()

  await db.schema.createTable('attendances')
    .addColumn('id', 'integer', id)
    .addColumn('booking_id', 'integer', col => col.notNull().references('bookings.id'))
    .addColumn('meeting_id', 'integer', col => col.notNull().references('meetings.id'))
    .addColumn('participant_id', 'integer', col => col.notNull().references('participants.id'))
    .addColumn('checked_in_at', 'varchar(30)', col => col.notNull())
    .addColumn('staff_user_id', 'integer')
    .addColumn('via', 'varchar(20)', col => col.notNull())
    .addUniqueConstraint('attendances_booking_meeting', ['booking_id', 'meeting_id'])
    .execute()
  await db.schema.createIndex('attendances_meeting').on('attendances').column('meeting_id').execute()
  await db.schema.createIndex('attendances_participant').on('attendances').column('participant_id').execute()

  await db.schema.createTable('checkin_actions')
    .addColumn('idempotency_key', 'varchar(100)', col => col.primaryKey())
    .addColumn('meeting_id', 'integer', col => col.notNull())
    .addColumn('booking_id', 'integer')
    .addColumn('action', 'varchar(20)', col => col.notNull())
    .addColumn('result_json', 'text', col => col.notNull())
    .addColumn('at', 'varchar(30)', col => col.notNull())
    .addColumn('staff_user_id', 'integer')
    .addColumn('link_id', 'integer')
    .execute()

  await db.schema.createTable('checkin_links')
    .addColumn('id', 'integer', id)
    .addColumn('meeting_id', 'integer', col => col.notNull().references('meetings.id').onDelete('cascade'))
    .addColumn('token_hash', 'varchar(64)', col => col.notNull().unique())
    .addColumn('pin_hash', 'varchar(200)', col => col.notNull())
    .addColumn('valid_on', 'varchar(10)', col => col.notNull())
    .addColumn('failed_attempts', 'integer', col => col.notNull().defaultTo(0))
    .addColumn('created_by', 'integer')
    .addColumn('created_at', 'varchar(30)', col => col.notNull())
    .addColumn('revoked_at', 'varchar(30)')
    .execute()

  await db.schema.createTable('participant_firsts')
    .addColumn('scope', 'varchar(120)', col => col.notNull())
    .addColumn('participant_id', 'integer', col => col.notNull().references('participants.id'))
    .addColumn('attendance_id', 'integer', col => col.notNull())
    .addColumn('at', 'varchar(30)', col => col.notNull())
    .addPrimaryKeyConstraint('participant_firsts_pk', ['scope', 'participant_id'])
    .execute()

  await db.schema.createTable('milestone_scopes')
    .addColumn('scope', 'varchar(120)', col => col.primaryKey())
    .addColumn('locked_at', 'varchar(30)', col => col.notNull())
    .execute()

  await db.schema.createTable('milestone_rules')
    .addColumn('id', 'integer', id)
    .addColumn('scope_kind', 'varchar(20)', col => col.notNull())
    .addColumn('location_id', 'integer')
    .addColumn('topic', 'varchar(50)')
    .addColumn('mode', 'varchar(10)', col => col.notNull())
    .addColumn('number', 'integer', col => col.notNull())
    .addColumn('created_by', 'integer')
    .addColumn('created_at', 'varchar(30)', col => col.notNull())
    .execute()
  await db.insertInto('milestone_rules').values({ scope_kind: 'all', location_id: null, topic: null, mode: 'every', number: 1000, created_by: null, created_at: now }).execute()

  await db.schema.createTable('milestones')
    .addColumn('id', 'integer', id)
    .addColumn('scope', 'varchar(120)', col => col.notNull())
    .addColumn('number', 'integer', col => col.notNull())
    .addColumn('participant_id', 'integer', col => col.notNull().references('participants.id'))
    .addColumn('attendance_id', 'integer', col => col.notNull())
    .addColumn('booking_id', 'integer', col => col.notNull())
    .addColumn('meeting_id', 'integer', col => col.notNull())
    .addColumn('reached_at', 'varchar(30)', col => col.notNull())
    .addUniqueConstraint('milestones_scope_number', ['scope', 'number'])
    .execute()

  await db.schema.createTable('learning_goal_ticks')
    .addColumn('booking_id', 'integer', col => col.notNull().references('bookings.id'))
    .addColumn('goal', 'varchar(300)', col => col.notNull())
    .addColumn('staff_user_id', 'integer')
    .addColumn('ticked_at', 'varchar(30)', col => col.notNull())
    .addPrimaryKeyConstraint('learning_goal_ticks_pk', ['booking_id', 'goal'])
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('learning_goal_ticks').execute()
  await db.schema.dropTable('milestones').execute()
  await db.schema.dropTable('milestone_rules').execute()
  await db.schema.dropTable('milestone_scopes').execute()
  await db.schema.dropTable('participant_firsts').execute()
  await db.schema.dropTable('checkin_links').execute()
  await db.schema.dropTable('checkin_actions').execute()
  await db.schema.dropTable('attendances').execute()
  await db.schema.dropIndex('bookings_checkin_code').execute()
  await db.schema.alterTable('classes').dropColumn('walkins_over_capacity').execute()
  await db.schema.alterTable('bookings').dropColumn('over_capacity').execute()
  await db.schema.alterTable('bookings').dropColumn('device').execute()
  await db.schema.alterTable('bookings').dropColumn('checkin_code').execute()
}
