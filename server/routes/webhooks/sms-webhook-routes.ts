import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { jwtVerify } from 'jose'
import { SYSTEM } from '../../domain/actor.ts'
import { cleanRequestText } from '../../plugins/security.ts'
import { receiveInbound, recordDeliveryReport } from '../../services/sms-service.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A webhook a provider calls, signed instead of sent from a form: the area's one hook
     * checks its signature before the body is read, so it takes no CSRF token. Required
     * for every route in the webhook area.
     */
    webhook?: 'gatewayapi'
  }
  interface FastifyRequest {
    /** The verified JWT payload of a webhook call: what the call says (its body is never used). */
    webhookClaims: unknown
  }
}

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]))
// MSISDNs have at most 15 digits; ids are positive whole numbers.
const Msisdn = Type.Integer({ minimum: 1000, maximum: 999_999_999_999_999 })
const ProviderId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })

/** GatewayAPI's delivery status notification (https://gatewayapi.com/docs/apis/rest/); other fields are ignored. */
const DeliveryReportClaims = Type.Object({
  id: ProviderId,
  msisdn: Msisdn,
  status: Type.String({ minLength: 1, maxLength: 40 }),
  error: Nullable(Type.String({ maxLength: 2000 })),
  code: Nullable(Type.String({ maxLength: 100 })),
  userref: Nullable(Type.String({ maxLength: 200 }))
})

/** GatewayAPI's MO SMS: a text sent to our number; other fields are ignored. */
const InboundClaims = Type.Object({
  id: ProviderId,
  msisdn: Msisdn,
  // A long text arrives as one (concatenated SMS); what is beyond our column is cut.
  message: Type.String({ maxLength: 20_000 })
})

async function webhookAnswer (reply: FastifyReply, status: number, body: Record<string, unknown>) {
  return await reply.code(status).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(body)
}

const ERROR_CODES: Record<number, string> = { 400: 'invalid_payload', 401: 'unauthorized', 413: 'too_large', 415: 'unsupported_media_type', 429: 'rate_limited', 503: 'not_configured' }

/**
 * GatewayAPI's two webhooks: delivery reports (POST /webhooks/sms/status) and texts sent
 * to our number (POST /webhooks/sms/indgaaende). GatewayAPI sends the payload twice: as
 * JSON in the body and as an HS256 JWT, signed with SMS_WEBHOOK_SECRET, in the
 * X-Gwapi-Signature header. Only the JWT is believed; the body is never used. Without a
 * secret every call is refused (503), a missing or wrong signature is a 401, a payload
 * of the wrong shape a 400. The answers say nothing about anyone, and no log line holds
 * a number or a text.
 */
const smsWebhookRoutes: FastifyPluginAsync = async (fastify) => {
  const secret = fastify.config.sms.webhookSecret
  const key = secret === null ? null : new TextEncoder().encode(secret)
  fastify.decorateRequest('webhookClaims', null)

  fastify.addHook('onRoute', route => {
    if (route.config?.webhook !== 'gatewayapi') throw new Error(`Webhook route ${String(route.method)} ${route.url} declares no config.webhook`)
  })

  // The body is read (up to a limit) and thrown away, whatever its type: what counts is signed.
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_request, _body, done) => { done(null, undefined) })

  fastify.addHook('onRequest', async (request, reply) => {
    if (key === null) return await webhookAnswer(reply, 503, { error: ERROR_CODES[503] })
    const token = request.headers['x-gwapi-signature']
    if (typeof token !== 'string' || token.length > 16_384) return await webhookAnswer(reply, 401, { error: ERROR_CODES[401] })
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] })
      request.webhookClaims = cleanRequestText(payload)
    } catch {
      request.log.warn('webhook call with a wrong signature refused')
      return await webhookAnswer(reply, 401, { error: ERROR_CODES[401] })
    }
    // GatewayAPI, proved by the secret: the platform's own provider, whatever cookie came along.
    request.actor = SYSTEM
  })

  fastify.setErrorHandler(async (error: Error & { statusCode?: number, code?: string }, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
    // The name and code only: a database error's message may quote a number.
    if (status >= 500) request.log.error({ name: error.name, code: error.code }, 'webhook call failed')
    return await webhookAnswer(reply, status, { error: ERROR_CODES[status] ?? (status >= 500 ? 'internal_error' : 'bad_request') })
  })

  // GatewayAPI sends a report for every text; a class message sends many at once.
  const config = {
    webhook: 'gatewayapi',
    rateLimit: { max: 600, timeWindow: '1 minute', errorResponseBuilder: () => ({ statusCode: 429, code: 'rate_limited', message: 'Too many webhook calls' }) }
  } as const

  fastify.post('/webhooks/sms/status', { config }, async (request, reply) => {
    const report = request.webhookClaims
    if (!Value.Check(DeliveryReportClaims, report)) return await webhookAnswer(reply, 400, { error: ERROR_CODES[400] })
    const outcome = await recordDeliveryReport(fastify.db, request.actor, {
      providerId: String(report.id),
      userref: report.userref ?? null,
      status: report.status,
      error: report.error ?? null,
      code: report.code ?? null
    })
    // Answered as any other, so GatewayAPI stops sending it; logged with ids only.
    if (outcome === 'unknown') {
      request.log.warn({ providerId: report.id, userref: /^\d{1,12}$/.test(report.userref ?? '') ? report.userref : null }, 'delivery report for a text we do not know')
    }
    return await webhookAnswer(reply, 200, { ok: true })
  })

  fastify.post('/webhooks/sms/indgaaende', { config }, async (request, reply) => {
    const text = request.webhookClaims
    if (!Value.Check(InboundClaims, text)) return await webhookAnswer(reply, 400, { error: ERROR_CODES[400] })
    const result = await receiveInbound(fastify.db, request.actor, { providerId: String(text.id), msisdn: String(text.msisdn), message: text.message })
    request.log.info({ providerId: text.id, kind: result.kind, duplicate: result.duplicate, answered: result.answered }, 'text received')
    return await webhookAnswer(reply, 200, { ok: true })
  })
}

export default smsWebhookRoutes
