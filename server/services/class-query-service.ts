import type { Db } from '../db/connection.ts'
import { seatsLeft } from '../domain/capacity.ts'
import type { Course } from '../domain/course-file.ts'
import { findCourse, findCoursesBySlugs, listCourses } from '../repositories/course-repository.ts'
import { type ClassSummary, findClassSummaries, findClassSummary } from '../repositories/class-repository.ts'
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
export async function listUpcomingClasses (db: Db, filter: CatalogueFilter, now: Date = new Date()): Promise<ClassCard[]> {
  const rows = await findClassSummaries(db, { ...filter, publicOnly: true, startsAfter: now.toISOString() })
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
  const summary = await findClassSummary(db, id)
  if (!summary || !summary.isPublic) return undefined
  const course = await findCourse(db, summary.courseSlug)
  if (!course) return undefined
  return { cls: toCard(summary, now), course }
}

export async function listCourseCatalogue (db: Db): Promise<Course[]> {
  return await listCourses(db)
}

/** Staff overview: every class not yet over, public or internal, cancelled ones too. */
export async function listClassesForStaff (db: Db, now: Date = new Date()): Promise<ClassCard[]> {
  const rows = await findClassSummaries(db, { endsAfter: now.toISOString(), includeCancelled: true })
  return rows.map(r => toCard(r, now))
}
