import { AjvCompiler } from '@fastify/ajv-compiler'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import Fastify, { type FastifyContextConfig, type FastifyInstance, type FastifySchemaCompiler, type onSendHookHandler } from 'fastify'
import type { Config } from './config.ts'
import type { Db } from './db/connection.ts'
import authPlugin from './plugins/auth.ts'
import configPlugin from './plugins/config.ts'
import dbPlugin from './plugins/db.ts'
import errorsPlugin, { answerClientError, plainDanishPage } from './plugins/errors.ts'
import openapiPlugin from './plugins/openapi.ts'
import securityPlugin from './plugins/security.ts'
import staticPlugin from './plugins/static.ts'
import viewPlugin from './plugins/view.ts'
import mailPlugin from './plugins/mail.ts'
import jobsPlugin from './plugins/jobs.ts'
import operationsPlugin from './plugins/operations.ts'
import readCachePlugin from './plugins/read-cache.ts'
import apiArea from './routes/api/api-area.ts'
import bookingRoutes from './routes/public/booking-routes.ts'
import offerRoutes from './routes/public/offer-routes.ts'
import catalogueRoutes from './routes/public/catalogue-routes.ts'
import interestRoutes from './routes/public/interest-routes.ts'
import checkinRoutes from './routes/checkin/checkin-routes.ts'
import staffArea from './routes/staff/staff-area.ts'
import checkinLinkRoutes from './routes/checkin/checkin-link-routes.ts'
import aboutRoutes from './routes/public/about-routes.ts'
import smsWebhookRoutes from './routes/webhooks/sms-webhook-routes.ts'

export interface AppOptions {
  config: Config
  db: Db
  /** Close the database when the app closes (true for the real server). */
  closeDb?: boolean
  logger?: boolean
  /** Where log lines go (default stdout); tests read them to check no personal data is logged. */
  logStream?: NodeJS.WritableStream
  /** Run the outbox worker and the reminder schedule in this process (the real server). */
  backgroundJobs?: boolean
  /** An extra onSend hook on every route, added first (tests record the pages they render with it). */
  onSend?: onSendHookHandler
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route as registered (method and URL pattern), for tests that walk them all. */
    routeTable: Array<{ method: string, url: string, config?: FastifyContextConfig }>
  }
}

/**
 * A request's log line names its route's pattern (/tilmelding/:token), never the address
 * as asked: no token, id or search text reaches the logs, for every route, a route added
 * tomorrow included. An address no route matched is logged without its path.
 */
const serializers = {
  req: (req: { method: string, routeOptions?: { url?: string } }) => ({
    method: req.method,
    url: req.routeOptions?.url ?? '(no route)'
  })
}

type Validate = ((data: unknown, context?: unknown) => unknown) & { errors?: unknown, schemaEnv?: unknown }
type ValidatorFactory = (externalSchemas: unknown, options: unknown) => FastifySchemaCompiler<unknown>

/**
 * Fastify's own Ajv compiler, but each route's schema is compiled on the route's first
 * request instead of at start: compiling the API's schemas (with the serializers below)
 * was a quarter of the start-up time, for routes most servers answer seldom. The
 * OpenAPI tests check every schema.
 */
function lazyValidators (): ValidatorFactory {
  const build = AjvCompiler() as unknown as ValidatorFactory
  return (externalSchemas, options) => {
    const compile = build(externalSchemas, options)
    return (route) => {
      let validate: Validate | undefined
      const lazy: Validate = (data, context) => {
        validate ??= compile(route) as Validate
        const result = validate(data, context)
        lazy.errors = validate.errors
        return result
      }
      // Fastify passes the parent object along to an Ajv function (marked by schemaEnv).
      lazy.schemaEnv = true
      return lazy as ReturnType<FastifySchemaCompiler<unknown>>
    }
  }
}

type Serialize = (data: unknown) => string
type SerializerFactory = (externalSchemas: unknown, options: unknown) => (route: unknown) => Serialize

/** The same for the API's response schemas, which fast-json-stringify compiles to code. */
function lazySerializers (): SerializerFactory {
  const build = SerializerSelector() as unknown as SerializerFactory
  return (externalSchemas, options) => {
    const compile = build(externalSchemas, options)
    return (route) => {
      let serialize: Serialize | undefined
      return (data) => (serialize ??= compile(route))(data)
    }
  }
}

/** Builds the app: external plugins, then ours, then routes. Used by main.ts and tests alike. */
export async function buildApp (opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger === false ? false : { level: opts.config.logLevel, serializers, ...(opts.logStream ? { stream: opts.logStream } : {}) },
    trustProxy: opts.config.trustProxy,
    routerOptions: { ignoreTrailingSlash: true },
    // Only the API validates with schemas (forms are read by our own readers). A JSON body
    // is taken as sent: an unknown field or "4" for a number is a 400 naming the field,
    // never silently dropped or converted. Path ids are strings with a pattern.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    schemaController: { compilersFactory: { buildValidator: lazyValidators() as never, buildSerializer: lazySerializers() as never } },
    // A request the HTTP parser refuses (a 20 kB header) never reaches Fastify: Danish too.
    clientErrorHandler: answerClientError,
    // A broken or overlong address never reaches a route: answer it in Danish, too.
    frameworkErrors: (error, request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 400
      const message = 'Adressen er forkert eller for lang. Tjek linket, eller gå til forsiden.'
      const api = request.url.startsWith('/api/')
      const body = api
        ? JSON.stringify({ error: { status, code: 'bad_url', message } })
        : plainDanishPage('Forkert adresse', message)
      reply.raw.writeHead(status, { 'content-type': api ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) })
      reply.raw.end(body)
    }
  })
  const routeTable: FastifyInstance['routeTable'] = []
  app.addHook('onRoute', route => { for (const method of [route.method].flat()) routeTable.push({ method, url: route.url, config: route.config }) })
  app.decorate('routeTable', routeTable)
  if (opts.onSend) app.addHook('onSend', opts.onSend)
  await app.register(configPlugin, { config: opts.config })
  await app.register(dbPlugin, { db: opts.db, closeOnStop: opts.closeDb ?? false })
  await app.register(viewPlugin)
  await app.register(securityPlugin)
  await app.register(staticPlugin)
  await app.register(errorsPlugin)
  await app.register(authPlugin)
  await app.register(openapiPlugin)
  await app.register(mailPlugin, { backgroundJobs: opts.backgroundJobs ?? false })
  await app.register(jobsPlugin, { backgroundJobs: opts.backgroundJobs ?? false })
  await app.register(operationsPlugin)
  await app.register(readCachePlugin)

  await app.register(catalogueRoutes)
  await app.register(bookingRoutes)
  await app.register(offerRoutes)
  await app.register(interestRoutes)
  await app.register(apiArea)
  await app.register(staffArea)
  await app.register(checkinRoutes)
  await app.register(checkinLinkRoutes)
  await app.register(aboutRoutes)
  await app.register(smsWebhookRoutes)
  return app
}
