import CsrfTokens from '@fastify/csrf'
import fastifyCsrf from '@fastify/csrf-protection'
import fastifyFormbody from '@fastify/formbody'
import fastifyRateLimit from '@fastify/rate-limit'
import fastifySecureSession from '@fastify/secure-session'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'
import { cleanText } from '../domain/text.ts'
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

/** A plain object, or the prototype-less ones the router and the query-string parser make (not a Buffer or a Date). */
const isPlain = (value: object) => {
  const proto = Object.getPrototypeOf(value) as object | null
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null
}

/**
 * Fields whose value is a secret or an opaque token, compared byte for byte: a password,
 * a PIN, the CSRF token, an idempotency key. Only NUL characters go from these.
 */
const OPAQUE_FIELD = /^(_csrf|pin|key|token|secret)$|password|_token$|_key$/i

const needsCleaning = (value: unknown, opaque: boolean, depth = 0): boolean => {
  if (typeof value === 'string') return value.includes('\u0000') || (!opaque && cleanText(value) !== value)
  if (depth > 20 || value === null || typeof value !== 'object') return false
  if (Array.isArray(value)) return value.some(v => needsCleaning(v, opaque, depth + 1))
  if (!isPlain(value)) return false
  return Object.entries(value).some(([k, v]) => k.includes('\u0000') || needsCleaning(v, OPAQUE_FIELD.test(k), depth + 1))
}

/**
 * What a request brings, through objects and arrays: NUL characters removed from every
 * string and key; every other string (not a password, PIN or token: see OPAQUE_FIELD)
 * also normalised to NFC without invisible format characters. The value itself when
 * nothing needs changing.
 */
export function cleanRequestText<T> (value: T, opaque = false, depth = 0): T {
  if (depth === 0 && !needsCleaning(value, opaque)) return value
  if (typeof value === 'string') {
    const withoutNul = value.replaceAll('\u0000', '')
    return (opaque ? withoutNul : cleanText(withoutNul)) as T
  }
  if (depth > 20 || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(v => cleanRequestText(v, opaque, depth + 1)) as T
  if (!isPlain(value)) return value
  const out = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(out, k.replaceAll('\u0000', ''), { value: cleanRequestText(v, OPAQUE_FIELD.test(k), depth + 1), enumerable: true, writable: true, configurable: true })
  }
  return out as T
}

/** "Vent 15 minutter": the rest of a rate-limit window, in whole minutes. */
export const waitMinutes = (ms: number): string => {
  const minutes = Math.max(1, Math.ceil(ms / 60000))
  return `Vent ${minutes} ${minutes === 1 ? 'minut' : 'minutter'}, og prøv igen.`
}

/**
 * The per-address limit of the forms that sign someone in (staff sign-in, first admin,
 * invitation, new password, the door's PIN): its "too many tries" text is about signing in.
 */
export const signInRateLimit = (max = 10) => ({
  max,
  timeWindow: '15 minutes',
  errorResponseBuilder: (_request: FastifyRequest, context: { ttl: number }) => ({
    statusCode: 429,
    code: 'rate_limited',
    message: `For mange forsøg på at logge ind fra din adresse. ${waitMinutes(context.ttl)}`
  })
})

/**
 * The headers Helmet sets for these options. They are the same on every answer (no CSP
 * nonces), so they are worked out once: @fastify/helmet built Helmet's middleware again
 * for every request, which profiling showed as a tenth of a page's time.
 */
export function securityHeaders (options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => { headers[name] = String(value) },
    removeHeader: (name: string) => { Reflect.deleteProperty(headers, name) }
  }
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, () => {})
  return headers
}

/** Forms, session cookie, CSRF tokens, security headers and rate limits. */
export default fp(async (fastify) => {
  const { config } = fastify
  const headers = securityHeaders({
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
  fastify.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
    done()
  })
  await fastify.register(fastifyFormbody, { bodyLimit: 64 * 1024 })
  // JSON is read as bytes and decoded strictly: invalid UTF-8 is a 400 (invalid_utf8),
  // never silently turned into replacement characters and stored.
  const utf8 = new TextDecoder('utf-8', { fatal: true })
  const parseJson = fastify.getDefaultJsonParser('error', 'ignore')
  fastify.removeContentTypeParser('application/json')
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string
    try {
      text = utf8.decode(body as Buffer)
    } catch {
      done(Object.assign(new Error('The body is not valid UTF-8'), { statusCode: 400, code: 'invalid_utf8' }), undefined)
      return
    }
    parseJson(request, text, done)
  })
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
  // A NUL character is never part of a name, an address or a slug. PostgreSQL refuses it
  // in text (SQLite takes it), so it is dropped from everything a request brings before
  // any handler sees it: the same answer on both databases, never a 500. Typed text in
  // forms, JSON and queries is also made NFC and loses bidi overrides and other
  // invisible format characters here, in one place for every form and the API; path
  // parameters (ids, slugs, tokens) only lose NUL.
  fastify.addHook('preValidation', async (request) => {
    request.body = cleanRequestText(request.body)
    request.query = cleanRequestText(request.query)
    request.params = cleanRequestText(request.params, true)
  })
  // Several servers count in the database, together.
  const shared = config.sharedState
  await fastify.register(fastifyRateLimit, {
    global: false,
    ...(shared ? { store: sharedRateLimitStore(fastify.db, config.sessionKey), skipOnError: true } : {}),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      code: 'rate_limited',
      message: `Du har sendt mange tilmeldinger på kort tid. ${waitMinutes(context.ttl)}`
    })
  })
}, { name: 'security', fastify: '5.x', dependencies: ['config', 'db'] })
