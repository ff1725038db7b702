import CsrfTokens from '@fastify/csrf'
import fastifyCsrf from '@fastify/csrf-protection'
import fastifyFormbody from '@fastify/formbody'
import fastifyHelmet from '@fastify/helmet'
import fastifyRateLimit from '@fastify/rate-limit'
import fastifySecureSession from '@fastify/secure-session'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { isPostgres } from '../db/connection.ts'
import { sharedRateLimitStore } from '../services/shared-rate-limit-store.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * True when the posted `_csrf` token matches the session's secret. Unlike the
     * plugin's hook it sends nothing, so a route can show the form again, values kept.
     */
    checkCsrf: (request: FastifyRequest) => boolean
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
  const tokens = CsrfTokens()
  fastify.decorate('checkCsrf', (request: FastifyRequest) => {
    const secret = request.session.get('_csrf') as string | undefined
    const token = (request.body as Record<string, unknown> | undefined)?._csrf
    return typeof secret === 'string' && typeof token === 'string' && tokens.verify(secret, token)
  })
  // With PostgreSQL there may be several servers: they count in the database, together.
  const shared = isPostgres(fastify.db)
  await fastify.register(fastifyRateLimit, {
    global: false,
    ...(shared ? { store: sharedRateLimitStore(fastify.db, config.sessionKey), skipOnError: true } : {}),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      code: 'rate_limited',
      message: `Du har sendt mange tilmeldinger på kort tid. Vent ${Math.ceil(context.ttl / 60000)} minutter, og prøv igen.`
    })
  })
}, { name: 'security', fastify: '5.x', dependencies: ['config', 'db'] })
