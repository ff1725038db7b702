import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import { toOffsetIso } from '../../domain/time.ts'
import { buildCalendar, FEED_REFRESH_SECONDS } from '../../domain/calendar.ts'
import { listUpcomingClasses } from '../../services/class-query-service.ts'

const ClassJson = Type.Object({
  id: Type.Integer(),
  course: Type.Object({ slug: Type.String(), title: Type.String(), topic: Type.String(), level: Type.String() }),
  location: Type.Object({
    id: Type.Integer(),
    name: Type.String(),
    room: Type.Union([Type.String(), Type.Null()]),
    address: Type.Object({ street: Type.String(), postalCode: Type.String(), city: Type.String() }),
    stepFree: Type.Boolean(),
    hearingLoop: Type.Boolean()
  }),
  meetings: Type.Array(Type.Object({ start: Type.String(), end: Type.String() })),
  capacity: Type.Integer(),
  seatsLeft: Type.Integer(),
  waitlistLength: Type.Integer(),
  public: Type.Boolean(),
  url: Type.String()
})

/** Open to any website (CORS): a simple GET, and the preflight a browser may send before it. */
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': 'Authorization',
  'access-control-max-age': '86400'
}

/** For library websites: the upcoming public classes as JSON and as an iCalendar feed. */
const classesApi: FastifyPluginAsync = async (fastify) => {
  const { publicUrl } = fastify.config

  for (const url of ['/api/v1/classes', '/kalender.ics']) {
    fastify.options(url, {
      config: { scope: 'public' },
      schema: url === '/kalender.ics'
        ? { hide: true }
        : {
            tags: ['classes'],
            operationId: 'preflightClasses',
            summary: 'CORS preflight for the class list',
            description: 'Any website may read the class list from a browser: the answer allows GET and the Authorization header from any origin.',
            security: [],
            response: { 204: { type: 'null', description: 'Allowed: Access-Control-Allow-Origin, -Methods and -Headers.' } }
          }
    }, async (_request, reply) => {
      return await reply.code(204).headers(CORS).header('cache-control', 'public, max-age=86400').send()
    })
  }

  fastify.get('/api/v1/classes', {
    config: { scope: 'public' },
    schema: {
      tags: ['classes'],
      operationId: 'listClasses',
      summary: 'Upcoming public classes (no token needed)',
      description: 'Open to all, from any website (CORS): no token needed. With `Authorization: Bearer` and a token that has the classes:read scope, internal classes are listed too; a missing or invalid token is ignored, never refused.',
      security: [],
      response: { 200: Type.Object({ generatedAt: Type.String(), classes: Type.Array(ClassJson) }) }
    }
  }, async (request, reply) => {
    // With a valid API token that may read classes, the list includes internal classes too.
    const internalToo = request.apiCaller?.scopes.includes('classes:read') ?? false
    const classes = internalToo ? await listUpcomingClasses(fastify.db, {}, new Date(), true) : await listUpcomingClasses(fastify.db, {})
    reply.header('cache-control', internalToo ? 'private, no-store' : 'public, max-age=60').header('access-control-allow-origin', CORS['access-control-allow-origin'])
    return {
      generatedAt: new Date().toISOString(),
      classes: classes.map(c => ({
        id: c.id,
        course: { slug: c.courseSlug, title: c.courseTitle, topic: c.topic, level: c.level },
        location: {
          id: c.locationId,
          name: c.locationName,
          room: c.room,
          address: { street: c.street, postalCode: c.postalCode, city: c.city },
          stepFree: c.stepFree,
          hearingLoop: c.hearingLoop
        },
        meetings: c.meetings.map(m => ({ start: toOffsetIso(m.starts_at), end: toOffsetIso(m.ends_at) })),
        capacity: c.capacity,
        seatsLeft: c.seatsLeft,
        waitlistLength: c.waitlistCount,
        public: c.isPublic,
        url: `${publicUrl}/hold/${c.id}`
      }))
    }
  })

  fastify.get('/kalender.ics', { config: { scope: 'public' } }, async (_request, reply) => {
    const classes = await listUpcomingClasses(fastify.db, {})
    const ics = buildCalendar(classes, { name: `${fastify.config.organisationName} – kurser`, publicUrl, refreshSeconds: FEED_REFRESH_SECONDS })
    return await reply.type('text/calendar; charset=utf-8').header('cache-control', 'public, max-age=300').header('access-control-allow-origin', CORS['access-control-allow-origin']).send(ics)
  })
}

export default classesApi
