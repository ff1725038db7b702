import type { Db } from '../db/connection.ts'
import type { Actor } from '../domain/actor.ts'
import { hasRole } from '../domain/staff.ts'
import { type MeetingContext, findMeetingContext } from '../repositories/attendance-repository.ts'
import { isAssigned } from '../repositories/class-staff-repository.ts'
import { linkAllows } from './checkin-link-service.ts'

/** Who stands at the door: the request's actor, and the PIN link its session holds, if any. */
export interface DoorVisitor {
  actor: Actor
  linkId: number | undefined
}

/**
 * An open door: the meeting, who acts there (a staff member, or the PIN link's tablet),
 * and what they may do beyond checking in: a leader may seat a walk-in beyond the seats.
 */
export interface Door { ctx: MeetingContext, actor: Actor, mayOverfill: boolean, isLeader: boolean, viaLink: boolean }

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
  const { actor, linkId } = visitor
  const staff = actor.kind === 'staff' ? actor : null
  if (staff && hasRole(staff.role, 'leader')) return { ctx, actor, mayOverfill: true, isLeader: true, viaLink: false }
  if (staff && await isAssigned(db, ctx.classId, staff.staffId)) return { ctx, actor, mayOverfill: false, isLeader: false, viaLink: false }
  if (linkId !== undefined && await linkAllows(db, linkId, meetingId, now)) {
    return { ctx, actor: { kind: 'door', linkId, staffId: staff?.staffId ?? null }, mayOverfill: false, isLeader: false, viaLink: true }
  }
  return staff || linkId !== undefined ? 'forbidden' : 'signin'
}
