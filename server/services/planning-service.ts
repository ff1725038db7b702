import type { Db } from '../db/connection.ts'
import { type ClassInput, type ClassPlanContext, shiftWeeks } from '../domain/class-form.ts'
import { type RepeatClash, type RoomClash, type Slot, type StaffClash, findRepeatClashes, findRoomClashes, findStaffClashes } from '../domain/clashes.ts'
import { findClassRow, listMeetingsOverlapping } from '../repositories/class-repository.ts'
import { listStaffMeetingsOverlapping } from '../repositories/class-staff-repository.ts'
import { listCourses } from '../repositories/course-repository.ts'
import { findLocation, listAllLocations } from '../repositories/location-repository.ts'
import { listAllPartners } from '../repositories/partner-repository.ts'

/**
 * Planning clashes are read, not locked: they are warnings a leader may overrule, so a
 * class planned by someone else in the same second is found at the next look.
 */

export interface PlanClashes { room: RoomClash[], repeat: RepeatClash[] }

const span = (slots: Slot[]) => ({
  from: slots.reduce((min, s) => s.startsAt < min ? s.startsAt : min, slots[0]!.startsAt),
  to: slots.reduce((max, s) => s.endsAt > max ? s.endsAt : max, slots[0]!.endsAt)
})

/**
 * What a class's plan would clash with: other classes in the same room at the same time,
 * and (for a new class repeated weekly) its copies overlapping each other. `classId`:
 * the class being edited, which is no clash with itself.
 */
export async function findPlanClashes (db: Db, input: Pick<ClassInput, 'locationId' | 'meetings' | 'repeatWeeks'>, classId: number | null, now: Date = new Date()): Promise<PlanClashes> {
  const weeks = Array.from({ length: classId === null ? input.repeatWeeks : 1 }, (_, w) => shiftWeeks(input.meetings, w))
  const all = weeks.flat()
  const location = await findLocation(db, input.locationId)
  if (all.length === 0 || !location) return { room: [], repeat: [] }
  const { from, to } = span(all)
  const others = await listMeetingsOverlapping(db, from, to, classId)
  const room = { locationId: location.id, street: location.street, postalCode: location.postal_code, room: location.room }
  return { room: findRoomClashes(all, room, others, now), repeat: findRepeatClashes(weeks) }
}

/** For each of these people, the other classes they are set to at the same time as this class. */
export async function findStaffClashesOfClass (db: Db, classId: number, meetings: Slot[], staffUserIds: number[], now: Date = new Date()): Promise<StaffClash[]> {
  if (meetings.length === 0 || staffUserIds.length === 0) return []
  const { from, to } = span(meetings)
  return findStaffClashes(classId, meetings, await listStaffMeetingsOverlapping(db, staffUserIds, from, to), now)
}

/**
 * What checkClassPlan checks a plan against, for the staff form and the API alike: the
 * catalogue, every place and partner, and the class being changed (`classId`), if any.
 */
export async function getClassPlanContext (db: Db, classId: number | null, now: Date = new Date()): Promise<ClassPlanContext> {
  const [courses, locations, partners, current] = await Promise.all([
    listCourses(db), listAllLocations(db), listAllPartners(db), classId === null ? undefined : findClassRow(db, classId)
  ])
  return {
    courses: new Set(courses.map(c => c.slug)),
    locations: new Map(locations.map(l => [l.id, l.archived_at !== null])),
    partners: new Map(partners.map(p => [p.id, p.archived_at !== null])),
    current: current ? { locationId: current.location_id, partnerId: current.partner_id } : null,
    now
  }
}
