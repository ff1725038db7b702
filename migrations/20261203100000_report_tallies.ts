import { type Kysely, PostgresAdapter, sql } from 'kysely'

// Frozen in time: no imports from the app.
// What the period report needs to know of each attendance, kept beside it by the database
// itself, so that a year's report reads the attendances alone:
// - attendances.walk_in: 1 when the attendance is on a walk-in booking.
// - attendances.held_seat: 1 when it is on a booking of the meeting's class that held a seat
//   at the meeting's start: not a walk-in, confirmed at or before the start, not cancelled
//   by then (as domain/no-shows.ts heldSeatAt says).
// - participants.first_came_at: the start of the earliest meeting the participant came to
//   (null: never came). "Returning" in a period is first_came_at before its first day.
// Triggers keep them right whatever writes: a check-in or its undo, a booking confirmed,
// cancelled or moved to another class, a meeting moved, two participants merged, db:copy.
// The formulas are written once, below, for both databases.

/** 1 or 0: the attendance's booking is a walk-in. */
const walkIn = (booking: string) => `coalesce((select case when b.source = 'walkin' then 1 else 0 end from bookings b where b.id = ${booking}), 0)`

/** 1 or 0: the attendance's booking held a seat at the start of the attendance's meeting. */
const heldSeat = (booking: string, meeting: string) => `coalesce((select case when b.class_id = m.class_id and b.source <> 'walkin' and b.confirmed_at is not null and b.confirmed_at <= m.starts_at and (b.cancelled_at is null or b.cancelled_at > m.starts_at) then 1 else 0 end from bookings b, meetings m where b.id = ${booking} and m.id = ${meeting}), 0)`

const setFlags = `walk_in = ${walkIn('attendances.booking_id')}, held_seat = ${heldSeat('attendances.booking_id', 'attendances.meeting_id')}`

const firstCame = 'first_came_at = (select min(m.starts_at) from attendances a join meetings m on m.id = a.meeting_id where a.participant_id = participants.id)'

const bookingChanged = (distinct: string) => ['source', 'class_id', 'confirmed_at', 'cancelled_at'].map(c => `old.${c} ${distinct} new.${c}`).join(' or ')
const meetingChanged = (distinct: string) => ['starts_at', 'class_id'].map(c => `old.${c} ${distinct} new.${c}`).join(' or ')

const SQLITE_TRIGGERS = [
  `create trigger attendances_tally_insert after insert on attendances begin
     update attendances set ${setFlags} where id = new.id;
     update participants set ${firstCame} where id = new.participant_id;
   end`,
  `create trigger attendances_tally_update after update of booking_id, meeting_id, participant_id on attendances begin
     update attendances set ${setFlags} where id = new.id;
     update participants set ${firstCame} where id in (old.participant_id, new.participant_id);
   end`,
  `create trigger attendances_tally_delete after delete on attendances begin
     update participants set ${firstCame} where id = old.participant_id;
   end`,
  `create trigger bookings_tally_update after update of source, class_id, confirmed_at, cancelled_at on bookings
   when ${bookingChanged('is not')} begin
     update attendances set ${setFlags} where booking_id = new.id;
   end`,
  `create trigger meetings_tally_update after update of starts_at, class_id on meetings
   when ${meetingChanged('is not')} begin
     update attendances set ${setFlags} where meeting_id = new.id;
     update participants set ${firstCame} where id in (select participant_id from attendances where meeting_id = new.id);
   end`
]

// PostgreSQL: the flags are set before each row is written; first_came_at once per
// statement, from its transition tables, so that db:copy's batches of a thousand
// attendances update each participant once a batch, not once a row.
const POSTGRES_TRIGGERS = [
  `create function attendances_tally_flags() returns trigger language plpgsql as $$ begin
     new.walk_in := ${walkIn('new.booking_id')};
     new.held_seat := ${heldSeat('new.booking_id', 'new.meeting_id')};
     return new;
   end $$`,
  `create trigger attendances_tally_flags before insert or update of booking_id, meeting_id on attendances
   for each row execute function attendances_tally_flags()`,
  `create function attendances_tally_inserted() returns trigger language plpgsql as $$ begin
     update participants set ${firstCame} where id in (select participant_id from new_rows);
     return null;
   end $$`,
  `create trigger attendances_tally_insert after insert on attendances
   referencing new table as new_rows for each statement execute function attendances_tally_inserted()`,
  `create function attendances_tally_updated() returns trigger language plpgsql as $$ begin
     update participants set ${firstCame} where id in (select participant_id from new_rows union select participant_id from old_rows);
     return null;
   end $$`,
  `create trigger attendances_tally_update after update on attendances
   referencing new table as new_rows old table as old_rows for each statement execute function attendances_tally_updated()`,
  `create function attendances_tally_deleted() returns trigger language plpgsql as $$ begin
     update participants set ${firstCame} where id in (select participant_id from old_rows);
     return null;
   end $$`,
  `create trigger attendances_tally_delete after delete on attendances
   referencing old table as old_rows for each statement execute function attendances_tally_deleted()`,
  `create function bookings_tally_update() returns trigger language plpgsql as $$ begin
     update attendances set ${setFlags} where booking_id = new.id;
     return null;
   end $$`,
  `create trigger bookings_tally_update after update of source, class_id, confirmed_at, cancelled_at on bookings
   for each row when (${bookingChanged('is distinct from')}) execute function bookings_tally_update()`,
  `create function meetings_tally_update() returns trigger language plpgsql as $$ begin
     update attendances set ${setFlags} where meeting_id = new.id;
     update participants set ${firstCame} where id in (select participant_id from attendances where meeting_id = new.id);
     return null;
   end $$`,
  `create trigger meetings_tally_update after update of starts_at, class_id on meetings
   for each row when (${meetingChanged('is distinct from')}) execute function meetings_tally_update()`
]

export async function up (db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter
  await db.schema.alterTable('attendances').addColumn('walk_in', 'integer', col => col.notNull().defaultTo(0)).execute()
  await db.schema.alterTable('attendances').addColumn('held_seat', 'integer', col => col.notNull().defaultTo(0)).execute()
  await db.schema.alterTable('participants').addColumn('first_came_at', 'varchar(30)').execute()
  await sql.raw(`update attendances set ${setFlags}`).execute(db)
  await sql.raw(`update participants set ${firstCame} where id in (select participant_id from attendances)`).execute(db)
  for (const statement of isPostgres ? POSTGRES_TRIGGERS : SQLITE_TRIGGERS) await sql.raw(statement).execute(db)
  // The report's pass over a period's attendances reads this index alone.
  await db.schema.dropIndex('attendances_meeting_participant_idx').execute()
  await db.schema.createIndex('attendances_meeting_participant_idx').on('attendances').columns(['meeting_id', 'participant_id', 'booking_id', 'walk_in', 'held_seat']).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter
  await db.schema.dropIndex('attendances_meeting_participant_idx').execute()
  await db.schema.createIndex('attendances_meeting_participant_idx').on('attendances').columns(['meeting_id', 'participant_id', 'booking_id']).execute()
  const triggers: Array<[string, string]> = [['attendances_tally_insert', 'attendances'], ['attendances_tally_update', 'attendances'], ['attendances_tally_delete', 'attendances'], ['bookings_tally_update', 'bookings'], ['meetings_tally_update', 'meetings']]
  if (isPostgres) triggers.push(['attendances_tally_flags', 'attendances'])
  for (const [name, table] of triggers) await sql.raw(isPostgres ? `drop trigger ${name} on ${table}` : `drop trigger ${name}`).execute(db)
  if (isPostgres) {
    for (const name of ['attendances_tally_flags', 'attendances_tally_inserted', 'attendances_tally_updated', 'attendances_tally_deleted', 'bookings_tally_update', 'meetings_tally_update']) await sql.raw(`drop function ${name}()`).execute(db)
  }
  await db.schema.alterTable('participants').dropColumn('first_came_at').execute()
  await db.schema.alterTable('attendances').dropColumn('held_seat').execute()
  await db.schema.alterTable('attendances').dropColumn('walk_in').execute()
}
