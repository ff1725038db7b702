import type { FastifyPluginAsync } from 'fastify'
import { DateTime } from 'luxon'
import { ZONE } from '../../domain/time.ts'
import { findCourse, listCourses } from '../../repositories/course-repository.ts'
import { countActiveSubscriptions } from '../../repositories/interest-repository.ts'
import { getWeek, listClassesOfCourse, listClassesForStaff } from '../../services/class-query-service.ts'
import { renderMarkdown } from '../../domain/markdown.ts'
import { queryString } from '../params.ts'

/** The week view and the read-only course catalogue for leaders. */
const calendarRoutes: FastifyPluginAsync = async (fastify) => {
  const leader = { config: { role: 'leader' } } as const

  fastify.get('/personale/uge', leader, async (request, reply) => {
    const asked = queryString(request.query, 'fra')
    const parsed = asked !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(asked) ? DateTime.fromISO(asked, { zone: ZONE }) : undefined
    const monday = (parsed?.isValid === true ? parsed : DateTime.now().setZone(ZONE)).startOf('week')
    const days = await getWeek(fastify.db, monday.toISODate() as string)
    return await reply.viewAsync('staff/week', {
      title: `Uge ${monday.weekNumber}`,
      week: monday.weekNumber,
      year: monday.weekYear,
      days,
      previous: monday.minus({ weeks: 1 }).toISODate(),
      next: monday.plus({ weeks: 1 }).toISODate()
    })
  })

  fastify.get('/personale/kurser', leader, async (_request, reply) => {
    const [courses, classes, interested] = await Promise.all([listCourses(fastify.db), listClassesForStaff(fastify.db), countActiveSubscriptions(fastify.db)])
    const upcoming = new Map<string, number>()
    for (const c of classes) if (c.cancelledAt === null) upcoming.set(c.courseSlug, (upcoming.get(c.courseSlug) ?? 0) + 1)
    return await reply.viewAsync('staff/courses', { title: 'Kursuskatalog', courses, upcoming, interested })
  })

  fastify.get<{ Params: { slug: string } }>('/personale/kurser/:slug', leader, async (request, reply) => {
    const course = await findCourse(fastify.db, request.params.slug)
    if (!course) return reply.callNotFound()
    const classes = await listClassesOfCourse(fastify.db, course.slug)
    return await reply.viewAsync('staff/course', { title: course.title, course, classes, descriptionHtml: renderMarkdown(course.descriptionMd) })
  })
}

export default calendarRoutes
