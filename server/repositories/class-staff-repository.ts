import type { DbOrTx } from '../db/connection.ts'
import type { StaffTask } from '../db/schema.ts'

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
