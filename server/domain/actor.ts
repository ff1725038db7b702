import type { StaffRole } from '../db/schema.ts'

/**
 * Who is acting: read once per request (`request.actor`) and passed to every service
 * that writes, right after the database, the way Immich passes its auth object. A
 * service writes its audit line from it and refuses an actor that may not do the job,
 * so no route ever guesses a staff id.
 */
export type Actor =
  /** A signed-in staff member. */
  | { readonly kind: 'staff', readonly staffId: number, readonly role: StaffRole, readonly name: string }
  /** A door tablet opened with a one-day PIN link (and whoever is signed in on it, without a door of their own). */
  | { readonly kind: 'door', readonly linkId: number, readonly staffId: number | null }
  /** A program calling the API with a token; its owner answers for what it does. */
  | { readonly kind: 'api', readonly tokenId: number, readonly ownerId: number | null }
  /** Anyone on a public page: a citizen booking, or the holder of a private link. */
  | { readonly kind: 'citizen' }
  /** The platform itself: background jobs, the command line, the demo data. */
  | { readonly kind: 'system' }

export const CITIZEN: Actor = Object.freeze({ kind: 'citizen' })
export const SYSTEM: Actor = Object.freeze({ kind: 'system' })

export function staffActor (staff: { id: number, role: StaffRole, name: string }): Actor {
  return { kind: 'staff', staffId: staff.id, role: staff.role, name: staff.name }
}

/** The staff user an audit line names: the staff member, or the owner of an API token; null for anyone else. */
export function auditStaffId (actor: Actor): number | null {
  switch (actor.kind) {
    case 'staff': return actor.staffId
    case 'api': return actor.ownerId
    case 'door': return actor.staffId
    default: return null
  }
}

/**
 * The staff member doing a job only staff may do. Anyone else reaching it is a bug in
 * a route (its role check is missing), so it fails closed: an error, not a guess.
 */
export function actingStaffId (actor: Actor): number {
  if (actor.kind !== 'staff') throw new Error(`a staff-only use case was called by the ${actor.kind} actor`)
  return actor.staffId
}
