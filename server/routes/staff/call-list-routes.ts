import type { FastifyPluginAsync } from 'fastify'
import { DateTime } from 'luxon'
import { formatOffset } from '../../domain/reminders.ts'
import { ZONE, copenhagenDate } from '../../domain/time.ts'
import { getCallList, markCallTaskDone, markCalled } from '../../services/reminder-service.ts'
import { parseId, queryString } from '../params.ts'

const isDay = (value: string | undefined): value is string =>
  value !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(value) && DateTime.fromISO(value, { zone: ZONE }).isValid

/** Why someone is on the call list besides a reminder. */
export const TASK_REASONS = { undeliverable: 'Sms\'en kom ikke frem', class_message: 'Besked til holdet' } as const

/**
 * Ringeliste: the people without e-mail or texts who would have had a reminder that day,
 * and those a text did not reach or who must hear a message to their class, with a phone
 * number, printable, and a tick for "called".
 */
const callListRoutes: FastifyPluginAsync = async (fastify) => {
  const leader = { config: { role: 'leader' } } as const
  const today = () => copenhagenDate(new Date())

  fastify.get('/personale/ringeliste', leader, async (request, reply) => {
    const param = queryString(request.query, 'dag')
    const day = isDay(param) ? param : today()
    const list = await getCallList(fastify.db, day, fastify.config.reminderOffsets)
    const date = DateTime.fromISO(day, { zone: ZONE })
    reply.header('cache-control', 'no-store')
    return await reply.viewAsync('staff/call-list', {
      title: 'Ringeliste',
      ...list,
      badDay: param !== undefined && !isDay(param),
      previous: date.minus({ days: 1 }).toISODate(),
      next: date.plus({ days: 1 }).toISODate(),
      isToday: day === today(),
      offsets: fastify.config.reminderOffsets.map(formatOffset),
      taskReasons: TASK_REASONS,
      csrfToken: reply.generateCsrf()
    })
  })

  fastify.post('/personale/ringeliste/ringet', leader, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>
    const day = isDay(body.dag as string | undefined) ? body.dag as string : today()
    const bookingId = parseId(body.booking_id)
    const meetingId = parseId(body.meeting_id)
    if (!fastify.checkCsrf(request)) return await reply.staleForm()
    if (bookingId !== undefined && meetingId !== undefined) {
      await markCalled(fastify.db, request.actor, bookingId, meetingId, body.ringet === '1')
    }
    return await reply.redirect(`/personale/ringeliste?dag=${day}#r-${bookingId ?? 0}-${meetingId ?? 0}`, 303)
  })

  fastify.post('/personale/ringeliste/opgave', leader, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>
    const day = isDay(body.dag as string | undefined) ? body.dag as string : today()
    const taskId = parseId(body.task_id)
    if (!fastify.checkCsrf(request)) return await reply.staleForm()
    if (taskId === undefined || !await markCallTaskDone(fastify.db, request.actor, taskId, body.ringet === '1')) return reply.callNotFound()
    return await reply.redirect(`/personale/ringeliste?dag=${day}#t-${taskId}`, 303)
  })
}

export default callListRoutes
