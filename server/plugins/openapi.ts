import fastifySwagger from '@fastify/swagger'
import fp from 'fastify-plugin'

/** Collects the API routes' schemas into an OpenAPI description, served at /api/docs. */
export default fp(async (fastify) => {
  await fastify.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'digikurser API',
        version: '1',
        description: 'Classes and bookings for library websites and CMSs. GET /api/v1/classes and /kalender.ics are open; everything else needs an API token (admins make them under Personale → API-nøgler).'
      },
      servers: [{ url: fastify.config.publicUrl }],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } }
    },
    hideUntagged: true
  })
  fastify.get('/api/docs', { schema: { hide: true } }, async (_request, reply) => {
    return await reply.header('cache-control', 'public, max-age=300').send(fastify.swagger())
  })
}, { name: 'openapi', fastify: '5.x', dependencies: ['config'] })
