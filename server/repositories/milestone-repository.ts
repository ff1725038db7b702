import type { DbOrTx } from '../db/connection.ts'
import { prepare } from '../db/prepared.ts'
import { MILESTONE_RULE_COLUMNS } from '../db/columns.ts'
import type { MilestoneRow, MilestoneRuleRow, MilestoneRuleTable } from '../db/schema.ts'
import type { Insertable } from 'kysely'

export async function listMilestoneRules (db: DbOrTx): Promise<MilestoneRuleRow[]> {
  return await milestoneRules.all(db, {})
}

const milestoneRules = prepare(db => db.selectFrom('milestone_rules').select(MILESTONE_RULE_COLUMNS).orderBy('scope_kind').orderBy('number').orderBy('id'))

export async function insertMilestoneRule (db: DbOrTx, rule: Insertable<MilestoneRuleTable>): Promise<number> {
  const { id } = await db.insertInto('milestone_rules').values(rule).returning('id').executeTakeFirstOrThrow()
  return id
}

export async function deleteMilestoneRule (db: DbOrTx, id: number): Promise<boolean> {
  const r = await db.deleteFrom('milestone_rules').where('id', '=', id).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}

/** Records who reached a milestone; undefined when someone already holds that number. */
export async function insertMilestone (db: DbOrTx, m: Omit<MilestoneRow, 'id'>): Promise<MilestoneRow | undefined> {
  return await db.insertInto('milestones').values(m)
    .onConflict(oc => oc.columns(['scope', 'number']).doNothing())
    .returningAll()
    .executeTakeFirst()
}

export async function deleteMilestonesOfAttendance (db: DbOrTx, attendanceId: number, scope: string): Promise<MilestoneRow[]> {
  return await db.deleteFrom('milestones').where('attendance_id', '=', attendanceId).where('scope', '=', scope).returningAll().execute()
}

export async function moveMilestonesToAttendance (db: DbOrTx, fromAttendanceId: number, toAttendanceId: number, scope: string): Promise<void> {
  await db.updateTable('milestones').set({ attendance_id: toAttendanceId }).where('attendance_id', '=', fromAttendanceId).where('scope', '=', scope).execute()
}

export interface MilestoneEntry {
  id: number
  scope: string
  number: number
  participantId: number
  participantName: string
  reachedAt: string
  courseTitle: string
  locationName: string
  meetingStartsAt: string
}

function entries (db: DbOrTx) {
  return db.selectFrom('milestones')
    .innerJoin('participants', 'participants.id', 'milestones.participant_id')
    .innerJoin('meetings', 'meetings.id', 'milestones.meeting_id')
    .innerJoin('classes', 'classes.id', 'meetings.class_id')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .select([
      'milestones.id', 'milestones.scope', 'milestones.number', 'milestones.participant_id', 'participants.name',
      'milestones.reached_at', 'courses.title', 'locations.name as location_name', 'meetings.starts_at'
    ])
}

function toEntry (r: { id: number, scope: string, number: number, participant_id: number, name: string, reached_at: string, title: string, location_name: string, starts_at: string }): MilestoneEntry {
  return { id: r.id, scope: r.scope, number: r.number, participantId: r.participant_id, participantName: r.name, reachedAt: r.reached_at, courseTitle: r.title, locationName: r.location_name, meetingStartsAt: r.starts_at }
}

export async function listMilestones (db: DbOrTx, limit = 200): Promise<MilestoneEntry[]> {
  return (await entries(db).orderBy('milestones.reached_at', 'desc').orderBy('milestones.id', 'desc').limit(limit).execute()).map(toEntry)
}

export async function listMilestonesOfParticipant (db: DbOrTx, participantId: number): Promise<MilestoneEntry[]> {
  return (await entries(db).where('milestones.participant_id', '=', participantId).orderBy('milestones.reached_at').execute()).map(toEntry)
}

/** Active leaders and admins with an address: they hear about milestones at once. */
export async function listLeaderRecipients (db: DbOrTx): Promise<Array<{ id: number, email: string, name: string }>> {
  return await db.selectFrom('staff_users').select(['id', 'email', 'name'])
    .where('active', '=', 1).where('role', 'in', ['leader', 'admin']).orderBy('id').execute()
}
