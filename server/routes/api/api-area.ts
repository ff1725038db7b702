import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { type Actor, CITIZEN } from '../../domain/actor.ts'
import { type ApiAccess, isApiAccess } from '../../domain/api-token.ts'
import { type ApiCaller, type ApiTokenCheck, verifyApiToken } from '../../services/api-token-service.ts'
import { apiError } from './api-errors.ts'
import classesApi from './classes-api.ts'
import manageApi from './manage-api.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call an API route: a token with this scope, or anyone ('public'). Required. */
    scope?: ApiAccess
  }
  interface FastifyRequest {
    /** The API token of this request, once checked; null without one. */
    apiCaller: ApiCaller | null
  }
}

const REFUSED: Record<Exclude<ApiTokenCheck, { ok: true }>['reason'], { code: string, message: string }> = {
  missing: { code: 'unauthorized', message: 'Der skal bruges en gyldig API-nøgle: Authorization: Bearer <nøgle>.' },
  revoked: { code: 'token_revoked', message: 'API-nøglen er tilbagekaldt. Bed en administrator om en ny nøgle.' },
  expired: { code: 'token_expired', message: 'API-nøglen er udløbet. Bed en administrator om en ny nøgle.' },
  owner_inactive: { code: 'token_owner_inactive', message: 'API-nøglen virker ikke længere, fordi den, der lavede den, er deaktiveret. Bed en administrator om en ny nøgle.' }
}

/**
 * The API area: every route in it declares its access in `config.scope`, and one hook
 * checks it when the request arrives, before the body is read or validated. A route
 * without a declaration stops the start; a scope the token lacks is a 403 naming it.
 */
const apiArea: FastifyPluginAsync = async (fastify) => {
  fastify.decorateRequest('apiCaller', null)

  fastify.addHook('onRoute', route => {
    if (!isApiAccess(route.config?.scope)) throw new Error(`API route ${String(route.method)} ${route.url} declares no config.scope (an API scope or 'public')`)
  })

  const apiActor = (caller: ApiCaller): Actor => ({ kind: 'api', tokenId: caller.tokenId, ownerId: caller.ownerId })

  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    // A program, never a staff member: a staff cookie sent along gives an API call nothing more.
    request.actor = CITIZEN
    const access = request.routeOptions.config.scope
    if (access === 'public') {
      // Open to all; a valid token may widen the answer, a bad one is ignored.
      if (request.headers.authorization !== undefined) {
        const check = await verifyApiToken(fastify.db, request.headers.authorization)
        if (check.ok) {
          request.apiCaller = check.caller
          request.actor = apiActor(check.caller)
        }
      }
      return
    }
    const check = await verifyApiToken(fastify.db, request.headers.authorization)
    if (!check.ok) {
      const refused = REFUSED[check.reason]
      return await apiError(reply.header('www-authenticate', 'Bearer'), 401, refused.code, refused.message)
    }
    if (access === undefined || !check.caller.scopes.includes(access)) {
      return await apiError(reply, 403, 'missing_scope', `API-nøglen må ikke det her. Den mangler rettigheden »${access ?? 'ukendt'}«. Bed en administrator om en nøgle med den rettighed.`, undefined, { scope: access ?? null })
    }
    request.apiCaller = check.caller
    request.actor = apiActor(check.caller)
  })

  await fastify.register(classesApi)
  await fastify.register(manageApi)
}

export default apiArea
