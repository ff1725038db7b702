import type { DbOrTx } from '../db/connection.ts'
import type { StaffTask } from '../db/schema.ts'
import type { StaffMeeting } from '../domain/clashes.ts'

export interface AssignedPerson { classId: number, staffUserId: number, name: string, task: StaffTask }

export async function assignStaff (db: DbOrTx, classId: number, staffUserId: number, task: StaffTask): Promise<void> {
  await db.deleteFrom('class_staff').where('class_id', '=', classId).where('staff_user_id', '=', staffUserId).execute()
  await db.insertInto('class_staff').values({ class_id: classId, staff_user_id: staffUserId, task }).execute()
}

export async function unassignStaff (db: DbOrTx, classId: number, staffUserId: number): Promise<boolean> {
  const result = await db.deleteFrom('class_staff').where('class_id', '=', classId).where('staff_user_id', '=', staffUserId).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

export async function listAssigned (db: DbOrTx, classIds: number[]): Promise<AssignedPerson[]> {
  if (classIds.length === 0) return []
  const rows = await db.selectFrom('class_staff')
    .innerJoin('staff_users', 'staff_users.id', 'class_staff.staff_user_id')
    .select(['class_staff.class_id', 'class_staff.staff_user_id', 'class_staff.task', 'staff_users.name'])
    .where('class_staff.class_id', 'in', classIds)
    .orderBy('class_staff.task').orderBy('staff_users.name')
    .execute()
  return rows.map(r => ({ classId: r.class_id, staffUserId: r.staff_user_id, name: r.name, task: r.task }))
}

export async function listClassIdsOfStaff (db: DbOrTx, staffUserId: number): Promise<number[]> {
  const rows = await db.selectFrom('class_staff').select('class_id').where('staff_user_id', '=', staffUserId).execute()
  return rows.map(r => r.class_id)
}

export async function isAssigned (db: DbOrTx, classId: number, staffUserId: number): Promise<boolean> {
  return (await db.selectFrom('class_staff').select('class_id').where('class_id', '=', classId).where('staff_user_id', '=', staffUserId).executeTakeFirst()) !== undefined
}

/** The meetings these people are set to, on classes that go ahead, sharing time with [from, to). */
export async function listStaffMeetingsOverlapping (db: DbOrTx, staffUserIds: number[], from: string, to: string): Promise<StaffMeeting[]> {
  if (staffUserIds.length === 0) return []
  const rows = await db.selectFrom('class_staff')
    .innerJoin('classes', 'classes.id', 'class_staff.class_id')
    .innerJoin('meetings', 'meetings.class_id', 'classes.id')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .innerJoin('locations', 'locations.id', 'classes.location_id')
    .select(['class_staff.staff_user_id', 'classes.id', 'meetings.starts_at', 'meetings.ends_at', 'courses.title', 'locations.name'])
    .where('class_staff.staff_user_id', 'in', staffUserIds)
    .where('classes.cancelled_at', 'is', null)
    .where('meetings.starts_at', '<', to).where('meetings.ends_at', '>', from)
    .orderBy('meetings.starts_at').orderBy('classes.id')
    .execute()
  return rows.map(r => ({ staffUserId: r.staff_user_id, classId: r.id, startsAt: r.starts_at, endsAt: r.ends_at, courseTitle: r.title, locationName: r.name }))
}
