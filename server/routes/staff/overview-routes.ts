import type { FastifyPluginAsync } from 'fastify'
import { hasRole } from '../../domain/staff.ts'
import { listAuditEntries } from '../../repositories/audit-repository.ts'
import { DateTime } from 'luxon'
import { ZONE, copenhagenMonthStart } from '../../domain/time.ts'
import { countSmsSentSince, countSmsWaiting } from '../../repositories/sms-repository.ts'
import { listCourses } from '../../repositories/course-repository.ts'
import { listAllLocations } from '../../repositories/location-repository.ts'
import { STAFF_LIST_LIMIT, type StaffClassFilter, listClassesForStaff } from '../../services/class-query-service.ts'
import { parseId, queryString } from '../params.ts'
import { listAssigned } from '../../repositories/class-staff-repository.ts'
import { getStaffClasses } from '../../services/volunteer-service.ts'

const WHEN = { kommende: 'coming', tidligere: 'past', alle: 'all' } as const

const isDay = (value: string | undefined): value is string =>
  value !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(value) && DateTime.fromISO(value, { zone: ZONE }).isValid

/**
 * The overview's filter from the address (a GET form, so it works without JavaScript
 * and can be bookmarked). Unknown places, courses and choices are ignored; an unreadable
 * date is named next to its field.
 */
function readOverviewFilter (query: unknown, locationIds: Set<number>, courseSlugs: Set<string>) {
  const locationId = parseId(queryString(query, 'sted'))
  const course = queryString(query, 'kursus')
  const from = queryString(query, 'fra')
  const to = queryString(query, 'til')
  const vis = queryString(query, 'vis') ?? 'kommende'
  const when = WHEN[vis as keyof typeof WHEN] ?? 'coming'
  const applied: StaffClassFilter = {
    when,
    ...(locationId !== undefined && locationIds.has(locationId) ? { locationId } : {}),
    ...(course !== undefined && courseSlugs.has(course) ? { courseSlug: course } : {}),
    ...(isDay(from) ? { fromDay: from } : {}),
    ...(isDay(to) ? { toDay: to } : {})
  }
  return {
    applied,
    shown: { sted: applied.locationId === undefined ? '' : String(applied.locationId), kursus: applied.courseSlug ?? '', fra: from ?? '', til: to ?? '', vis: Object.keys(WHEN).find(k => WHEN[k as keyof typeof WHEN] === when) ?? 'kommende' },
    filtered: applied.locationId !== undefined || applied.courseSlug !== undefined || applied.fromDay !== undefined || applied.toDay !== undefined || when !== 'coming',
    dayErrors: { fra: from !== undefined && !isDay(from), til: to !== undefined && !isDay(to) }
  }
}

const overviewRoutes: FastifyPluginAsync = async (fastify) => {
  /** The month's texts against the budget (SMS_MONTHLY_LIMIT; 0: no limit), for leaders. */
  async function smsMonth (now: Date) {
    const [sent, waiting] = await Promise.all([countSmsSentSince(fastify.db, copenhagenMonthStart(now)), countSmsWaiting(fastify.db)])
    const limit = fastify.config.sms.monthlyLimit
    return {
      month: DateTime.fromJSDate(now).setZone(ZONE).setLocale('da').toFormat('LLLL'),
      sent,
      waiting,
      limit,
      reached: limit > 0 && sent >= limit,
      kept: fastify.config.sms.provider === 'none'
    }
  }

  fastify.get('/personale', { config: { role: 'volunteer' } }, async (request, reply) => {
    const staff = request.staff
    const isLeader = staff ? hasRole(staff.role, 'leader') : false
    const [locations, courses] = isLeader ? await Promise.all([listAllLocations(fastify.db), listCourses(fastify.db)]) : [[], []]
    const filter = readOverviewFilter(request.query, new Set(locations.map(l => l.id)), new Set(courses.map(c => c.slug)))
    const classes = isLeader ? await listClassesForStaff(fastify.db, filter.applied) : []
    const assigned = await listAssigned(fastify.db, classes.map(c => c.id))
    const mine = staff ? await getStaffClasses(fastify.db, staff.id) : undefined
    const sms = isLeader ? await smsMonth(new Date()) : null
    return await reply.viewAsync('staff/overview', {
      title: 'Oversigt',
      classes,
      assigned,
      mine,
      isLeader,
      sms,
      filter: filter.shown,
      filtered: filter.filtered,
      dayErrors: filter.dayErrors,
      limitReached: filter.applied.when !== 'coming' && classes.length >= STAFF_LIST_LIMIT,
      locations,
      courses
    })
  })

  fastify.get('/personale/revisionslog', { config: { role: 'admin' } }, async (_request, reply) => {
    const entries = await listAuditEntries(fastify.db)
    return await reply.viewAsync('staff/audit-log', { title: 'Revisionslog', entries })
  })
}

export default overviewRoutes
