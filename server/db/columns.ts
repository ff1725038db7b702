import type { AttendanceTable, BookingTable, ClassTable, MeetingTable, MilestoneRuleTable, ParticipantTable } from './schema.ts'

/**
 * Every column of a table, named one by one, for the prepared queries (db/prepared.ts)
 * that return whole rows. On PostgreSQL a prepared query is a named statement, planned
 * once per connection; PostgreSQL refuses such a statement for good once the columns a
 * `*` stands for have changed ("cached plan must not change result type"), so a newer
 * server adding a column during a rolling upgrade would make the older one's bookings
 * fail. A list of columns keeps its result whatever a migration adds.
 *
 * A list that misses a column of the table's interface does not compile;
 * schema-matches-migrations.test.ts checks the interfaces against the migrated database.
 */
function every<T> () {
  return <const K extends ReadonlyArray<keyof T & string>>(columns: K, ..._complete: [Exclude<keyof T & string, K[number]>] extends [never] ? [] : [missing: Exclude<keyof T & string, K[number]>]): K => columns
}

export const CLASS_COLUMNS = every<ClassTable>()([
  'id', 'course_slug', 'location_id', 'partner_id', 'capacity', 'is_public', 'waitlist_mode',
  'walkins_over_capacity', 'note', 'cancelled_at', 'created_at', 'updated_at', 'version',
  'calendar_sequence', 'calendar_modified_at', 'offer_hours', 'confirm_mode', 'confirm_days',
  'release_hours'
])

export const MEETING_COLUMNS = every<MeetingTable>()(['id', 'class_id', 'starts_at', 'ends_at'])

export const PARTICIPANT_COLUMNS = every<ParticipantTable>()([
  'id', 'name', 'phone', 'email', 'birth_year', 'created_at', 'anonymised_at', 'first_came_at'
])

export const BOOKING_COLUMNS = every<BookingTable>()([
  'id', 'class_id', 'participant_id', 'token', 'status', 'source', 'needs_companion',
  'needs_hearing_loop', 'needs_other', 'booker_name', 'booker_phone', 'booker_email',
  'created_at', 'confirmed_at', 'cancelled_at', 'cancelled_by', 'staff_note', 'checkin_code',
  'device', 'over_capacity', 'person_name', 'person_birth_year', 'contact_phone',
  'contact_email', 'contact_conflict_at', 'link_resent_at', 'source_key',
  'moved_from_booking_id', 'sms_consent', 'coming', 'coming_at', 'coming_asked_at', 'filled_by'
])

export const ATTENDANCE_COLUMNS = every<AttendanceTable>()([
  'id', 'booking_id', 'meeting_id', 'participant_id', 'checked_in_at', 'staff_user_id', 'via',
  'walk_in', 'held_seat'
])

export const MILESTONE_RULE_COLUMNS = every<MilestoneRuleTable>()([
  'id', 'scope_kind', 'location_id', 'topic', 'mode', 'number', 'created_by', 'created_at'
])

/** The columns of a table as `table.column`, for a query that joins another table. */
export function qualified<const T extends string, const C extends string> (table: T, columns: readonly C[]): Array<`${T}.${C}`> {
  return columns.map(column => `${table}.${column}` as const)
}
