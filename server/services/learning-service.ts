import type { Db } from '../db/connection.ts'
import type { Device, MeetingRow } from '../db/schema.ts'
import { type Actor, actingStaffId } from '../domain/actor.ts'
import { DomainError } from '../domain/errors.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { listAttendancesOfBookings, listAttendancesOfClass } from '../repositories/attendance-repository.ts'
import { listActiveBookings } from '../repositories/booking-repository.ts'
import { findClassSummary, listMeetings, lockClass } from '../repositories/class-repository.ts'
import { findCourse, findCoursesBySlugs } from '../repositories/course-repository.ts'
import { deleteGoalTicks, insertGoalTick, listGoalTicks, setBookingDevice } from '../repositories/learning-repository.ts'
import { listBookingsOfParticipant } from '../repositories/participant-repository.ts'
import { listAllLocations } from '../repositories/location-repository.ts'
import { listMilestonesOfParticipant } from '../repositories/milestone-repository.ts'
import { topicLabel } from '../domain/catalogue-vocabulary.ts'
import { scopeLabel } from '../domain/milestones.ts'
import { formatDateTime } from '../domain/time.ts'
import { type ClassCard, listClassesOfCourse, toCard } from './class-query-service.ts'

export const DEVICES: Record<Device, string> = {
  iphone: 'iPhone',
  android: 'Android-telefon',
  ipad: 'iPad',
  tablet: 'Anden tablet',
  pc: 'Computer (PC eller Mac)',
  borrowed: 'Lånt enhed',
  other: 'Andet'
}

export const isDevice = (value: unknown): value is Device => typeof value === 'string' && Object.hasOwn(DEVICES, value)

export interface LearnerRow {
  bookingId: number
  name: string
  /** Meeting ids this learner was checked in at. */
  attended: Set<number>
  completed: boolean
  goals: Set<string>
  device: Device | null
  walkIn: boolean
}

export interface ClassProgress {
  cls: ClassCard
  meetings: MeetingRow[]
  goals: string[]
  learners: LearnerRow[]
}

/**
 * A class's learners with their attendance at each meeting, the learning goals ticked
 * for them and their device. A learner who attended every meeting has completed the class.
 */
export async function getClassProgress (db: Db, classId: number, now: Date = new Date()): Promise<ClassProgress | undefined> {
  const summary = await findClassSummary(db, classId)
  if (!summary) return undefined
  const course = await findCourse(db, summary.courseSlug)
  const bookings = (await listActiveBookings(db, classId)).filter(b => b.status === 'confirmed')
  const meetings = summary.meetings
  const [attendances, ticks] = await Promise.all([listAttendancesOfClass(db, classId), listGoalTicks(db, bookings.map(b => b.id))])
  const learners = bookings.map(b => {
    const attended = new Set(attendances.filter(a => a.bookingId === b.id).map(a => a.meetingId))
    return {
      bookingId: b.id,
      name: b.name,
      attended,
      completed: meetings.length > 0 && meetings.every(m => attended.has(m.id)),
      goals: new Set(ticks.filter(t => t.bookingId === b.id).map(t => t.goal)),
      device: b.device,
      walkIn: b.source === 'walkin'
    }
  }).sort((a, b) => a.name.localeCompare(b.name, 'da'))
  return { cls: toCard(summary, now), meetings, goals: course?.learningGoals ?? [], learners }
}

export interface LearnerGoals { bookingId: number, goals: string[], device: Device | null }

/**
 * Saves what the instructor ticked at the end of a class: for each learner, the goals
 * reached (only the course's own goals are kept) and the device they used.
 */
export async function saveLearningGoals (db: Db, actor: Actor, classId: number, entries: LearnerGoals[], now: Date = new Date()): Promise<void> {
  const staffId = actingStaffId(actor)
  const at = now.toISOString()
  await db.transaction().execute(async tx => {
    const cls = await lockClass(tx, classId)
    if (!cls) throw new DomainError('class_not_found')
    const goals = new Set((await findCourse(tx, cls.course_slug))?.learningGoals ?? [])
    const onClass = new Set((await listActiveBookings(tx, classId)).filter(b => b.status === 'confirmed').map(b => b.id))
    let ticked = 0
    for (const entry of entries) {
      if (!onClass.has(entry.bookingId)) continue
      const keep = [...new Set(entry.goals.filter(g => goals.has(g)))]
      await deleteGoalTicks(tx, entry.bookingId, keep)
      for (const goal of keep) await insertGoalTick(tx, entry.bookingId, goal, staffId, at)
      await setBookingDevice(tx, entry.bookingId, entry.device)
      ticked += keep.length
    }
    await insertAuditEntry(tx, { at, staff_user_id: staffId, action: 'learning_goals_saved', subject_type: 'class', subject_id: classId, detail: `learners=${entries.length} goals=${ticked}` })
  })
}

export interface HistoryEntry {
  bookingId: number
  classId: number
  courseSlug: string
  courseTitle: string
  locationName: string
  firstStartsAt: string | null
  status: string
  meetings: number
  attended: number
  completed: boolean
  goalsReached: string[]
  device: Device | null
}

export interface Suggestion { slug: string, title: string, classes: ClassCard[] }

export interface LearnerHistory {
  entries: HistoryEntry[]
  attendedMeetings: number
  completedClasses: number
  /** Next courses suggested by the courses they took part in, with classes open to book. */
  suggestions: Suggestion[]
  /** "Deltager nr. 3.000 i alt": the milestones this person reached. */
  milestones: string[]
}

/** A participant's path: classes booked, meetings attended, goals reached, and what could come next. */
export async function getLearnerHistory (db: Db, participantId: number, now: Date = new Date()): Promise<LearnerHistory> {
  const bookings = await listBookingsOfParticipant(db, participantId)
  const ids = bookings.map(b => b.id)
  const [attendances, ticks, meetings] = await Promise.all([
    listAttendancesOfBookings(db, ids),
    listGoalTicks(db, ids),
    listMeetings(db, [...new Set(bookings.map(b => b.classId))])
  ])
  const entries: HistoryEntry[] = bookings.map(b => {
    const own = meetings.filter(m => m.class_id === b.classId)
    const attended = attendances.filter(a => a.bookingId === b.id).length
    return {
      bookingId: b.id,
      classId: b.classId,
      courseSlug: b.courseSlug,
      courseTitle: b.courseTitle,
      locationName: b.locationName,
      firstStartsAt: b.firstStartsAt,
      status: b.status,
      meetings: own.length,
      attended,
      completed: own.length > 0 && attended >= own.length,
      goalsReached: ticks.filter(t => t.bookingId === b.id).map(t => t.goal),
      device: b.device
    }
  })
  const took = entries.filter(e => e.attended > 0)
  const active = new Set(entries.filter(e => e.status !== 'cancelled').map(e => e.courseSlug))
  const nextSlugs = [...new Set((await findCoursesBySlugs(db, [...new Set(took.map(e => e.courseSlug))])).flatMap(c => c.next))].filter(s => !active.has(s))
  const suggestions: Suggestion[] = []
  for (const course of await findCoursesBySlugs(db, nextSlugs)) {
    const classes = (await listClassesOfCourse(db, course.slug, now)).filter(c => c.bookable || (c.cancelledAt === null && c.firstStartsAt !== null && c.firstStartsAt > now.toISOString())).slice(0, 5)
    suggestions.push({ slug: course.slug, title: course.title, classes })
  }
  const locations = new Map((await listAllLocations(db)).map(l => [l.id, l.name]))
  const milestones = (await listMilestonesOfParticipant(db, participantId)).map(m => `Deltager nr. ${m.number.toLocaleString('da-DK')} ${scopeLabel(m.scope, { locations, topicLabel })}, ${formatDateTime(m.reachedAt, now)}`)
  return {
    entries,
    milestones,
    attendedMeetings: entries.reduce((n, e) => n + e.attended, 0),
    completedClasses: entries.filter(e => e.completed).length,
    suggestions
  }
}
