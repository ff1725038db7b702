import type { IncomingMessage, ServerResponse } from 'node:http'
import { Ajv, type ValidateFunction } from 'ajv'
import ajvFormats from 'ajv-formats'
import type { FastifyInstance } from 'fastify'

// ajv-formats is CommonJS: its plugin is also its `default` property.
const addFormats = ajvFormats.default

export interface RecordedResponse { method: string, path: string, status: number, contentType: string, body: string }

type Operation = { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }
type Doc = { paths: Record<string, Record<string, Operation>>, components?: unknown }

/** The served OpenAPI document, as a client would read it. */
export async function servedOpenApi (app: FastifyInstance): Promise<Doc> {
  const res = await app.inject({ method: 'GET', url: '/api/docs' })
  if (res.statusCode !== 200) throw new Error(`/api/docs answered ${res.statusCode}`)
  return JSON.parse(res.body) as Doc
}

/** OpenAPI 3.0 `nullable: true` in JSON Schema terms, so a plain JSON Schema validator reads it. */
function toJsonSchema (schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema)
  if (schema === null || typeof schema !== 'object') return schema
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'example' || key === 'discriminator' || key === 'xml' || key === 'externalDocs' || key.startsWith('x-')) continue
    out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, toJsonSchema(v)])) : toJsonSchema(value)
  }
  const s = schema as { nullable?: boolean }
  return s.nullable === true ? { anyOf: [out, { type: 'null' }] } : out
}

function pathPattern (template: string): RegExp {
  return new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`)
}

/**
 * Records every answer the app's HTTP server gives under /api/v1/ (whatever the test
 * calls it with: supertest or fetch), for a check against the served OpenAPI document.
 * Works on an app that is already ready: it listens on the server, not in Fastify.
 */
export function recordApiResponses (app: FastifyInstance): { responses: RecordedResponse[], check: () => Promise<void> } {
  const responses: RecordedResponse[] = []
  app.server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0] ?? ''
    if (!path.startsWith('/api/v1/') && path !== '/api/v1') return
    const chunks: Buffer[] = []
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8'))
    }
    const write = res.write.bind(res) as (...args: unknown[]) => boolean
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse
    res.write = ((chunk: unknown, ...rest: unknown[]) => { keep(chunk, rest[0]); return write(chunk, ...rest) }) as typeof res.write
    res.end = ((chunk?: unknown, ...rest: unknown[]) => { keep(chunk, rest[0]); return end(chunk, ...rest) }) as typeof res.end
    // Headers given to writeHead are not seen by getHeader unless some were set before.
    let headType = ''
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse
    res.writeHead = ((status: number, ...rest: unknown[]) => {
      const headers = rest.find(a => typeof a === 'object' && a !== null && !Array.isArray(a)) as Record<string, unknown> | undefined
      const type = headers && Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1]
      if (type !== undefined) headType = String(type)
      return writeHead(status, ...rest)
    }) as typeof res.writeHead
    res.on('finish', () => {
      responses.push({ method: req.method ?? 'GET', path, status: res.statusCode, contentType: String(res.getHeader('content-type') ?? headType), body: Buffer.concat(chunks).toString('utf8') })
    })
  })

  async function check (): Promise<void> {
    const doc = await servedOpenApi(app)
    const ajv = new Ajv({ strict: false, allErrors: true })
    addFormats(ajv)
    const compiled = new Map<string, ValidateFunction>()
    const problems: string[] = []
    const templates = Object.keys(doc.paths).map(t => ({ t, re: pathPattern(t) }))
    for (const r of responses) {
      const where = `${r.method} ${r.path} → ${r.status}`
      if (r.method === 'HEAD') continue
      const template = templates.find(({ re }) => re.test(r.path))?.t
      const op = template === undefined ? undefined : doc.paths[template]?.[r.method.toLowerCase()]
      if (template === undefined || op === undefined) { problems.push(`${where}: operation not in the document`); continue }
      const answer = op.responses?.[String(r.status)]
      if (answer === undefined) { problems.push(`${where}: status not documented (documented: ${Object.keys(op.responses ?? {}).join(', ')})`); continue }
      const content = answer.content
      if (content === undefined || Object.keys(content).length === 0) {
        if (r.body.length > 0) problems.push(`${where}: documented without a body, but sent one`)
        continue
      }
      const type = r.contentType.split(';')[0]?.trim() ?? ''
      const media = content[type]
      if (media === undefined) { problems.push(`${where}: content type ${type} not documented (${Object.keys(content).join(', ')})`); continue }
      if (media.schema === undefined) { problems.push(`${where}: documented without a schema`); continue }
      if (!type.endsWith('json')) continue
      const key = `${template} ${r.method} ${r.status} ${type}`
      let validate = compiled.get(key)
      if (validate === undefined) {
        validate = ajv.compile(toJsonSchema(media.schema) as object)
        compiled.set(key, validate)
      }
      let body: unknown
      try { body = JSON.parse(r.body) } catch { problems.push(`${where}: body is not JSON`); continue }
      if (!validate(body)) problems.push(`${where}: ${ajv.errorsText(validate.errors)} in ${r.body.slice(0, 300)}`)
    }
    if (responses.length === 0) problems.push('no API responses were recorded')
    if (problems.length > 0) throw new Error(`API responses that do not match the OpenAPI document:\n${problems.join('\n')}`)
  }

  return { responses, check }
}
