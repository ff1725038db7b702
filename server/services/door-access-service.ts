import type { Db } from '../db/connection.ts'
import type { StaffRole } from '../db/schema.ts'
import { hasRole } from '../domain/staff.ts'
import { type MeetingContext, findMeetingContext } from '../repositories/attendance-repository.ts'
import { isAssigned } from '../repositories/class-staff-repository.ts'
import { linkAllows } from './checkin-link-service.ts'
import type { CheckinActor } from './checkin-service.ts'

/** Who stands at the door: a signed-in staff user, a tablet holding a PIN link, both, or neither. */
export interface DoorVisitor {
  staff: { id: number, role: StaffRole } | null
  linkId: number | undefined
}

/** An open door: the meeting, who acts there, and what they may do beyond checking in. */
export interface Door { ctx: MeetingContext, actor: CheckinActor, isLeader: boolean, viaLink: boolean }

/** Why the door stays shut: no such meeting, nobody signed in, or somebody without access. */
export type DoorRefusal = 'missing' | 'signin' | 'forbidden'

/**
 * Who may open the door of a meeting. A leader may open any meeting (and seat walk-ins
 * beyond capacity), a volunteer the classes they are assigned to, and a tablet holding a
 * PIN link only that link's meeting, on its day.
 */
export async function decideDoorAccess (db: Db, visitor: DoorVisitor, meetingId: number, now: Date = new Date()): Promise<Door | DoorRefusal> {
  const ctx = await findMeetingContext(db, meetingId)
  if (!ctx) return 'missing'
  const { staff, linkId } = visitor
  if (staff && hasRole(staff.role, 'leader')) return { ctx, actor: { staffId: staff.id, linkId: null, mayOverfill: true }, isLeader: true, viaLink: false }
  if (staff && await isAssigned(db, ctx.classId, staff.id)) return { ctx, actor: { staffId: staff.id, linkId: null, mayOverfill: false }, isLeader: false, viaLink: false }
  if (linkId !== undefined && await linkAllows(db, linkId, meetingId, now)) return { ctx, actor: { staffId: staff?.id ?? null, linkId, mayOverfill: false }, isLeader: false, viaLink: true }
  return staff || linkId !== undefined ? 'forbidden' : 'signin'
}
