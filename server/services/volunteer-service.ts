import type { Db } from '../db/connection.ts'
import type { StaffTask } from '../db/schema.ts'
import { type Actor, actingStaffId } from '../domain/actor.ts'
import { DomainError } from '../domain/errors.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { findClassSummaries, lockClass } from '../repositories/class-repository.ts'
import { assignStaff, listClassIdsOfStaff, unassignStaff } from '../repositories/class-staff-repository.ts'
import { findStaffUser } from '../repositories/staff-repository.ts'
import { type ClassCard, toCard } from './class-query-service.ts'

/**
 * Sets a staff user to a class as helper or instructor. Only an active account can be set:
 * false, and nothing changes, for a deactivated or unknown one.
 */
export async function assignToClass (db: Db, actor: Actor, classId: number, staffUserId: number, task: StaffTask, now: Date = new Date()): Promise<boolean> {
  const by = actingStaffId(actor)
  return await db.transaction().execute(async tx => {
    if (!await lockClass(tx, classId)) throw new DomainError('class_not_found')
    if ((await findStaffUser(tx, staffUserId))?.active !== 1) return false
    await assignStaff(tx, classId, staffUserId, task)
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: by, action: 'staff_assigned', subject_type: 'class', subject_id: classId, detail: `staff_user=${staffUserId} task=${task}` })
    return true
  })
}

export async function removeFromClass (db: Db, actor: Actor, classId: number, staffUserId: number, now: Date = new Date()): Promise<void> {
  const by = actingStaffId(actor)
  await db.transaction().execute(async tx => {
    if (await unassignStaff(tx, classId, staffUserId)) {
      await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: by, action: 'staff_unassigned', subject_type: 'class', subject_id: classId, detail: `staff_user=${staffUserId}` })
    }
  })
}

export interface StaffClasses { coming: ClassCard[], past: ClassCard[], hoursDone: number, hoursPlanned: number }

/**
 * A volunteer's or instructor's classes, coming and past, with hours counted from the
 * meetings: meetings that have ended count as done, the rest as planned. Cancelled
 * classes are listed but count no hours.
 */
export async function getStaffClasses (db: Db, staffUserId: number, now: Date = new Date()): Promise<StaffClasses> {
  const ids = await listClassIdsOfStaff(db, staffUserId)
  const classes = (await findClassSummaries(db, { ids, includeCancelled: true })).map(c => toCard(c, now))
  const at = now.toISOString()
  let doneMinutes = 0
  let plannedMinutes = 0
  for (const c of classes) {
    if (c.cancelledAt !== null) continue
    for (const m of c.meetings) {
      const minutes = (Date.parse(m.ends_at) - Date.parse(m.starts_at)) / 60000
      if (m.ends_at <= at) doneMinutes += minutes
      else plannedMinutes += minutes
    }
  }
  return {
    coming: classes.filter(c => !c.ended),
    past: classes.filter(c => c.ended).reverse(),
    hoursDone: Math.round(doneMinutes / 6) / 10,
    hoursPlanned: Math.round(plannedMinutes / 6) / 10
  }
}
