import type { Socket } from 'node:net'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { DomainError } from '../domain/errors.ts'
import { DOMAIN_MESSAGES, STALE_FORM } from '../domain/error-messages.ts'

const isApi = (request: FastifyRequest) => request.url.startsWith('/api/')

/** A whole Danish page without templates, for answers given before a route or a view is reached. */
export function plainDanishPage (title: string, message: string): string {
  return `<!doctype html><html lang="da"><head><meta charset="utf-8"><title>${title}</title></head><body><main><h1>${title}</h1><p>${message}</p><p><a href="/">Gå til forsiden</a></p></main></body></html>`
}

const CLIENT_ERRORS: Record<string, { status: number, reason: string, title: string, message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    title: 'For mange oplysninger',
    message: 'Din browser sendte for mange oplysninger på én gang, ofte for mange eller for store cookies. Slet cookies for siden i din browser, og prøv igen.'
  },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', title: 'Det tog for lang tid', message: 'Det tog for lang tid at modtage det, din browser sendte. Prøv igen.' }
}

/**
 * What the HTTP parser answers before Fastify sees a request (an over-long header, a
 * broken request line, a timeout): Fastify's clientErrorHandler, in Danish like the rest.
 */
export function answerClientError (this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const known = CLIENT_ERRORS[error.code ?? '']
  const { status, reason, title, message } = known ?? { status: 400, reason: 'Bad Request', title: 'Noget gik galt', message: 'Vi kunne ikke forstå det, din browser sendte. Gå tilbage, og prøv igen.' }
  this.log.debug({ code: error.code, status }, 'client error')
  if (socket.writable) {
    const body = plainDanishPage(title, message)
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy(error)
}

interface SchemaError { instancePath?: string, keyword?: string, params?: Record<string, unknown> }

const TYPE_WORDS: Record<string, string> = { integer: 'et helt tal', number: 'et tal', string: 'en tekst', boolean: 'true eller false', object: 'et objekt', array: 'en liste', null: 'null' }

/**
 * A schema validation failure of the API in Danish, with a stable code naming the part of
 * the request (invalid_body, invalid_params, invalid_query) and the field, e.g.
 * meetings[0].start. The first failure is described; the rest follow from it.
 */
function describeApiValidation (validation: SchemaError[], context: string | undefined): { code: string, field: string | null, message: string } {
  const part = context === 'querystring' ? 'query' : (context ?? 'body')
  const code = `invalid_${part}`
  const first = validation[0] ?? {}
  const params = first.params ?? {}
  const path = (first.instancePath ?? '').split('/').filter(Boolean)
  const extra = first.keyword === 'required' ? params.missingProperty : first.keyword === 'additionalProperties' ? params.additionalProperty : undefined
  if (typeof extra === 'string') path.push(extra)
  const field = path.length === 0 ? null : path.reduce((name, step) => /^\d+$/.test(step) ? `${name}[${step}]` : name === '' ? step : `${name}.${step}`, '')
  if (field === null) {
    return { code, field, message: part === 'body' ? 'Forespørgslen er ugyldig: send et JSON-objekt med felterne (Content-Type: application/json).' : 'Forespørgslen er ugyldig.' }
  }
  const limit = String(params.limit ?? '')
  const name = `»${field}«`
  if (first.keyword === 'required') return { code, field, message: `Feltet ${name} mangler. Skriv det med.` }
  if (first.keyword === 'additionalProperties') return { code, field, message: `Vi kender ikke feltet ${name}. Fjern det.` }
  const rule: Record<string, string> = {
    type: `det skal være ${TYPE_WORDS[String(params.type)] ?? 'af en anden type'}`,
    minLength: limit === '1' ? 'det må ikke være tomt' : `det skal have mindst ${limit} tegn`,
    maxLength: `det må højst have ${limit} tegn`,
    minimum: `det skal være mindst ${limit}`,
    maximum: `det må højst være ${limit}`,
    minItems: `det skal have mindst ${limit} ${limit === '1' ? 'element' : 'elementer'}`,
    maxItems: `det må højst have ${limit} elementer`,
    format: params.format === 'date-time' ? 'det skal være et tidspunkt, fx 2030-03-05T10:00:00+01:00' : 'det har ikke den rigtige form',
    pattern: 'det har ikke den rigtige form',
    const: `det må kun være ${JSON.stringify(params.allowedValue)}`,
    enum: 'det skal være en af de tilladte værdier'
  }
  return { code, field, message: `Feltet ${name} er ugyldigt: ${rule[first.keyword ?? ''] ?? 'værdien er ikke tilladt'}.` }
}

function codeFor (status: number): string {
  return ({ 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'too_large', 415: 'unsupported_media_type', 429: 'rate_limited' } as Record<number, string>)[status] ?? (status >= 500 ? 'internal_error' : 'error')
}

/** API errors are JSON with a machine code; pages are Danish HTML in the site's look. */
async function renderError (request: FastifyRequest, reply: FastifyReply, status: number, title: string, message: string, code = codeFor(status), details?: unknown, back?: string) {
  reply.code(status).header('cache-control', 'no-store')
  if (isApi(request)) return await reply.send({ error: { status, code, message, ...(details === undefined ? {} : { details }) } })
  try {
    return await reply.viewAsync('errors/error', { title, message, status, back })
  } catch (error) {
    request.log.error({ err: error }, 'error page could not be rendered')
    return await reply.type('text/plain; charset=utf-8').send(`${title}\n\n${message}`)
  }
}

/**
 * The page a stale form came from, for a link back to it (a fresh copy with a fresh token):
 * the Referer's path, when it is one of ours; undefined otherwise.
 */
function pageBefore (request: FastifyRequest): string | undefined {
  const referer = request.headers.referer
  if (referer === undefined) return undefined
  try {
    const from = new URL(referer)
    // '//host/…' would be a link to another site: only a path on this one.
    return from.host === request.host && !from.pathname.startsWith('//') ? from.pathname + from.search : undefined
  } catch {
    return undefined
  }
}

/**
 * One error handler: rules broken and 4xx show their Danish message; 5xx show a calm
 * page and log the detail. Never a stack trace to a browser.
 */
declare module 'fastify' {
  interface FastifyReply {
    /** The answer to a form posted without a valid CSRF token: 403 and a calm Danish page. */
    staleForm: () => Promise<unknown>
  }
}

export default fp(async (fastify) => {
  fastify.decorateReply('staleForm', async function (this: FastifyReply) {
    return await renderError(this.request, this, STALE_FORM.status, STALE_FORM.title, STALE_FORM.message, 'csrf', undefined, pageBefore(this.request))
  })
  fastify.setNotFoundHandler(async (request, reply) => {
    return await renderError(request, reply, 404, 'Siden findes ikke',
      'Vi kan ikke finde den side, du leder efter. Måske er linket forkert, eller siden er flyttet.')
  })

  fastify.setErrorHandler(async (error: Error & { statusCode?: number, code?: string, validation?: unknown }, request, reply) => {
    if (error instanceof DomainError) {
      const m = DOMAIN_MESSAGES[error.code]
      return await renderError(request, reply, m.status, m.title, m.message, error.code)
    }
    const status = error.statusCode ?? 500
    if (error.validation !== undefined && isApi(request)) {
      // Danish, with a stable code and the field (the schema library's own words are English).
      const { code, field, message } = describeApiValidation(error.validation as SchemaError[], (error as { validationContext?: string }).validationContext)
      reply.code(400).header('cache-control', 'no-store')
      return await reply.send({ error: { status: 400, code, field, message } })
    }
    if (isApi(request) && status === 400 && (error.code?.startsWith('FST_ERR_CTP_') === true || error instanceof SyntaxError)) {
      reply.code(400).header('cache-control', 'no-store')
      return await reply.send({ error: { status: 400, code: 'invalid_body', field: null, message: 'Forespørgslen er ugyldig: det er ikke gyldig JSON. Send et JSON-objekt med Content-Type: application/json.' } })
    }
    if (status === 429) {
      return await renderError(request, reply, 429, 'Vent lidt', error.message)
    }
    if (status === 403 && error.code?.startsWith('FST_CSRF')) {
      return await renderError(request, reply, STALE_FORM.status, STALE_FORM.title, STALE_FORM.message, undefined, undefined, pageBefore(request))
    }
    if (error.code === 'invalid_utf8') {
      return await renderError(request, reply, 400, 'Ugyldige tegn',
        'Vi kan ikke læse teksten, fordi den ikke er gyldig UTF-8. Send den igen som UTF-8.', 'invalid_utf8')
    }
    if (status === 413) {
      return await renderError(request, reply, 413, 'For meget tekst', 'Du har skrevet mere tekst, end vi kan modtage. Skriv kortere, og prøv igen.')
    }
    if (status >= 400 && status < 500) {
      request.log.info({ code: error.code, status }, 'client error')
      return await renderError(request, reply, status, 'Noget gik galt',
        'Vi kunne ikke forstå det, din browser sendte. Gå tilbage, og prøv igen.')
    }
    request.log.error({ err: error }, 'unhandled error')
    return await renderError(request, reply, 500, 'Der skete en fejl',
      'Der skete en fejl hos os. Det er ikke din skyld. Prøv igen om lidt.')
  })
}, { name: 'errors', fastify: '5.x', dependencies: ['view'] })
