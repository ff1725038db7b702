import fastifyCsrf from '@fastify/csrf-protection'
import fastifyFormbody from '@fastify/formbody'
import fastifyHelmet from '@fastify/helmet'
import fastifyRateLimit from '@fastify/rate-limit'
import fastifySecureSession from '@fastify/secure-session'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** Resolves to an error when the request's CSRF token is missing or wrong. */
    checkCsrf: (request: FastifyRequest, reply: FastifyReply) => Promise<Error | undefined>
  }
}

/** Forms, session cookie, CSRF tokens, security headers and rate limits. */
export default fp(async (fastify) => {
  const { config } = fastify
  await fastify.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: config.publicUrl.startsWith('https://') ? [] : null
      }
    },
    hsts: config.publicUrl.startsWith('https://')
  })
  await fastify.register(fastifyFormbody, { bodyLimit: 64 * 1024 })
  await fastify.register(fastifySecureSession, {
    key: config.sessionKey,
    cookieName: 'digikurser_session',
    cookie: {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: config.publicUrl.startsWith('https://')
    }
  })
  await fastify.register(fastifyCsrf, { sessionPlugin: '@fastify/secure-session' })
  fastify.decorate('checkCsrf', async (request: FastifyRequest, reply: FastifyReply) =>
    await new Promise<Error | undefined>(resolve => {
      fastify.csrfProtection(request, reply, (error?: Error) => resolve(error ?? undefined))
    }))
  await fastify.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      code: 'rate_limited',
      message: `Du har sendt mange tilmeldinger på kort tid. Vent ${Math.ceil(context.ttl / 60000)} minutter, og prøv igen.`
    })
  })
}, { name: 'security', fastify: '5.x', dependencies: ['config'] })
