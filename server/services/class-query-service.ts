import type { Db } from '../db/connection.ts'
import { seatsLeft } from '../domain/capacity.ts'
import type { Course } from '../domain/course-file.ts'
import { findCourse, findCoursesBySlugs, listCourses } from '../repositories/course-repository.ts'
import { DateTime } from 'luxon'
import { ZONE } from '../domain/time.ts'
import { type ClassSummary, findClassIdsWithMeetingsBetween, findClassSummaries, findClassSummary } from '../repositories/class-repository.ts'
import { listActiveLocations } from '../repositories/location-repository.ts'
import type { LocationRow } from '../db/schema.ts'

export interface ClassCard extends ClassSummary {
  seatsLeft: number
  /** Booking is open: public, not cancelled, first meeting in the future. */
  bookable: boolean
  ended: boolean
}

export function toCard (c: ClassSummary, now: Date): ClassCard {
  const at = now.toISOString()
  const started = c.firstStartsAt === null || c.firstStartsAt <= at
  return {
    ...c,
    seatsLeft: seatsLeft(c.capacity, c.confirmedCount),
    bookable: c.isPublic && c.cancelledAt === null && !started,
    ended: c.lastEndsAt === null || c.lastEndsAt <= at
  }
}

export interface CatalogueFilter { topic?: string, locationId?: number }

/** Public classes not yet begun, soonest first. */
export async function listUpcomingClasses (db: Db, filter: CatalogueFilter, now: Date = new Date(), includeInternal = false): Promise<ClassCard[]> {
  const rows = await findClassSummaries(db, { ...filter, publicOnly: !includeInternal, startsAfter: now.toISOString() })
  return rows.map(r => toCard(r, now))
}

export interface CataloguePage {
  classes: ClassCard[]
  topics: string[]
  locations: LocationRow[]
}

export async function getCataloguePage (db: Db, filter: CatalogueFilter, now: Date = new Date()): Promise<CataloguePage> {
  const [classes, courses, locations] = await Promise.all([
    listUpcomingClasses(db, filter, now),
    listCourses(db),
    listActiveLocations(db)
  ])
  return { classes, topics: [...new Set(courses.map(c => c.topic))], locations }
}

export interface CoursePage { course: Course, classes: ClassCard[], next: Course[] }

export async function getCoursePage (db: Db, slug: string, now: Date = new Date()): Promise<CoursePage | undefined> {
  const course = await findCourse(db, slug)
  if (!course) return undefined
  const [classes, next] = await Promise.all([
    findClassSummaries(db, { courseSlug: slug, publicOnly: true, startsAfter: now.toISOString() }),
    findCoursesBySlugs(db, course.next)
  ])
  return { course, classes: classes.map(c => toCard(c, now)), next }
}

export interface ClassPage { cls: ClassCard, course: Course }

/** A class page: public classes only (a private link to an internal class is a 404). */
export async function getClassPage (db: Db, id: number, now: Date = new Date()): Promise<ClassPage | undefined> {
  const data = await findClassPageData(db, id)
  return data && toClassPage(data, now)
}

/** What a class page shows as read from the database; the card is made per request, as it depends on the time. */
export interface ClassPageData { summary: ClassSummary, course: Course }

export async function findClassPageData (db: Db, id: number): Promise<ClassPageData | undefined> {
  const summary = await findClassSummary(db, id)
  if (!summary || !summary.isPublic) return undefined
  const course = await findCourse(db, summary.courseSlug)
  return course && { summary, course }
}

export function toClassPage (data: ClassPageData, now: Date = new Date()): ClassPage {
  return { cls: toCard(data.summary, now), course: data.course }
}

export interface StaffClassFilter {
  locationId?: number
  courseSlug?: string
  /** Copenhagen days, yyyy-mm-dd: classes meeting on or between them. */
  fromDay?: string
  toDay?: string
  /** Coming: not yet over (soonest first). Past: over (latest first). All: both (latest first). */
  when: 'coming' | 'past' | 'all'
}

/** Past and all-time lists show this many at most; a place, course or period narrows them. */
export const STAFF_LIST_LIMIT = 300

/** Staff overview: classes public or internal, cancelled ones too; by default every class not yet over. */
export async function listClassesForStaff (db: Db, filter: StaffClassFilter = { when: 'coming' }, now: Date = new Date()): Promise<ClassCard[]> {
  const day = (d: string, plus: number) => DateTime.fromISO(d, { zone: ZONE }).startOf('day').plus({ days: plus }).toUTC().toISO() as string
  const rows = await findClassSummaries(db, {
    includeCancelled: true,
    ...(filter.locationId === undefined ? {} : { locationId: filter.locationId }),
    ...(filter.courseSlug === undefined ? {} : { courseSlug: filter.courseSlug }),
    ...(filter.fromDay === undefined ? {} : { meetingFrom: day(filter.fromDay, 0) }),
    ...(filter.toDay === undefined ? {} : { meetingTo: day(filter.toDay, 1) }),
    ...(filter.when === 'coming' ? { endsAfter: now.toISOString() } : { newestFirst: true, limit: STAFF_LIST_LIMIT }),
    ...(filter.when === 'past' ? { endedBy: now.toISOString() } : {})
  })
  return rows.map(r => toCard(r, now))
}

export interface WeekDay { date: string, label: string, meetings: Array<{ startsAt: string, endsAt: string, cls: ClassCard }> }

/** A Monday-to-Sunday week of meetings in Copenhagen time, for the staff week view. */
export async function getWeek (db: Db, mondayIso: string, now: Date = new Date()): Promise<WeekDay[]> {
  const monday = DateTime.fromISO(mondayIso, { zone: ZONE }).startOf('week')
  const start = monday.toUTC().toISO() as string
  const end = monday.plus({ weeks: 1 }).toUTC().toISO() as string
  const ids = await findClassIdsWithMeetingsBetween(db, start, end)
  const classes = (await findClassSummaries(db, { ids, includeCancelled: true })).map(c => toCard(c, now))
  return Array.from({ length: 7 }, (_, i) => {
    const day = monday.plus({ days: i })
    const from = day.toUTC().toISO() as string
    const to = day.plus({ days: 1 }).toUTC().toISO() as string
    const meetings = classes.flatMap(cls => cls.meetings
      .filter(m => m.starts_at >= from && m.starts_at < to)
      .map(m => ({ startsAt: m.starts_at, endsAt: m.ends_at, cls })))
      .sort((a, b) => a.startsAt.localeCompare(b.startsAt))
    return { date: day.toISODate() as string, label: day.setLocale('da').toFormat('cccc d. LLLL'), meetings }
  })
}

/** Every class of a course, past and coming, for the staff catalogue. */
export async function listClassesOfCourse (db: Db, slug: string, now: Date = new Date()): Promise<ClassCard[]> {
  return (await findClassSummaries(db, { courseSlug: slug, includeCancelled: true })).map(c => toCard(c, now))
}
