import fastifySwagger from '@fastify/swagger'
import { Type } from '@sinclair/typebox'
import type { FastifySchema } from 'fastify'
import fp from 'fastify-plugin'
import { API_SCOPES, SCOPE_TEXT, TOKEN_MAX_MONTHS, isApiScope } from '../domain/api-token.ts'

/** Every API error: { error: { status, code, message, ...more } }; message in Danish, code stable. */
export const ErrorBody = Type.Object({
  error: Type.Object({
    status: Type.Integer(),
    code: Type.String(),
    message: Type.String(),
    scope: Type.Optional(Type.String()),
    field: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    details: Type.Optional(Type.Unknown())
  })
})

/** The error body with what it means for one operation, for a route's `response` list. */
export const errorAnswer = (description: string) => ({ ...ErrorBody, description })

const scopeList = API_SCOPES.map(s => `- \`${s}\`: ${SCOPE_TEXT[s].english}`).join('\n')

/**
 * Collects the API routes' schemas into an OpenAPI description, served at /api/docs.
 * Each protected operation gets its scope (from the route's config.scope, the same
 * declaration the API area enforces), the bearer requirement and its 401 and 403 answers.
 */
export default fp(async (fastify) => {
  await fastify.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'digikurser API',
        version: '1',
        description: 'Classes and bookings for library websites and CMSs. GET /api/v1/classes and /kalender.ics are open; everything else needs an API token with the scope the operation names (admins make tokens under Personale → API-nøgler). Errors are JSON { "error": { "status", "code", "message" } } with a Danish message and a stable code.'
      },
      servers: [{ url: fastify.config.publicUrl }],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: `Send \`Authorization: Bearer dk_…\`. A token has the scopes chosen when it was made:\n${scopeList}\n\nA token expires on the date chosen when it was made (at most ${TOKEN_MAX_MONTHS} months ahead) and stops working when it is revoked or the staff user who made it is deactivated. No valid token: 401 (code \`unauthorized\`, \`token_expired\`, \`token_revoked\` or \`token_owner_inactive\`), checked before the request body. A valid token without the operation's scope: 403 with code \`missing_scope\` and the \`scope\` it needs.`
          }
        }
      }
    },
    hideUntagged: true,
    transform: ({ schema, url, route }) => {
      const scope = route.config?.scope
      if (schema === undefined) return { schema, url }
      // Any body can be too large or not JSON: Fastify answers before the route does.
      const withBody: FastifySchema = schema.body === undefined
        ? schema
        : {
            ...schema,
            response: {
              ...(schema.response as Record<string, unknown> | undefined),
              413: errorAnswer('The body is larger than the server takes (`too_large`).'),
              415: errorAnswer('The body is not `application/json` (`unsupported_media_type`).')
            }
          }
      if (!isApiScope(scope)) return { schema: withBody, url }
      const withScope: FastifySchema & Record<string, unknown> = {
        ...withBody,
        description: `${schema.description === undefined ? '' : `${String(schema.description)}\n\n`}Requires the \`${scope}\` scope (${SCOPE_TEXT[scope].english}).`,
        security: [{ bearerAuth: [] }],
        'x-required-scope': scope,
        response: {
          ...(withBody.response as Record<string, unknown> | undefined),
          401: errorAnswer('No valid API token (missing, unknown, revoked, expired, or its maker is deactivated): `unauthorized`, `token_revoked`, `token_expired` or `token_owner_inactive`.'),
          403: errorAnswer(`The token lacks the \`${scope}\` scope (code \`missing_scope\`, the scope it needs in \`scope\`).`)
        }
      }
      return { schema: withScope, url }
    }
  })
  fastify.get('/api/docs', { schema: { hide: true } }, async (_request, reply) => {
    return await reply.header('cache-control', 'public, max-age=300').send(fastify.swagger())
  })
}, { name: 'openapi', fastify: '5.x', dependencies: ['config'] })
