import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { STALE_FORM } from '../../domain/error-messages.ts'
import { API_SCOPES, type ApiTokenFormErrors, SCOPE_TEXT, apiTokenState, defaultExpiryDate, parseScopes, validateApiTokenForm } from '../../domain/api-token.ts'
import { listApiTokens } from '../../repositories/api-token-repository.ts'
import { createApiToken, revokeToken } from '../../services/api-token-service.ts'
import { parseId } from '../params.ts'

interface TokenForm { name: string, scopes: string[], expiresOn: string }

const STATE_TEXT = {
  active: 'Aktiv',
  revoked: 'Tilbagekaldt',
  expired: 'Udløbet',
  owner_inactive: 'Virker ikke: oprettet af en deaktiveret bruger'
} as const

/** Admins make API tokens for library websites (scopes, expiry; shown once) and revoke them. */
const tokenRoutes: FastifyPluginAsync = async (fastify) => {
  const admin = { config: { role: 'admin' } } as const

  async function render (reply: FastifyReply, data: { form?: TokenForm, errors?: ApiTokenFormErrors, formMessage?: string, newToken?: string, saved?: boolean }, status = 200) {
    reply.code(status)
    const now = new Date()
    const tokens = (await listApiTokens(fastify.db)).map(t => {
      const state = apiTokenState(t, now)
      // The last day it works: it stops at the start of the next day.
      const end = Date.parse(t.expires_at)
      const validThrough = Number.isNaN(end) ? null : new Date(end - 1).toISOString()
      return { ...t, scopeNames: parseScopes(t.scopes).map(s => SCOPE_TEXT[s].short), validThrough, working: state === 'active', stateText: STATE_TEXT[state] }
    })
    return await reply.viewAsync('staff/api-tokens', {
      title: 'API-nøgler',
      tokens,
      scopes: API_SCOPES.map(s => ({ scope: s, field: `scope_${s.replace(':', '_')}`, label: SCOPE_TEXT[s].label })),
      form: data.form ?? { name: '', scopes: [], expiresOn: defaultExpiryDate(now) },
      errors: data.errors ?? {},
      formMessage: data.formMessage,
      newToken: data.newToken,
      saved: data.saved ?? false,
      docsUrl: `${fastify.config.publicUrl}/api/docs`,
      csrfToken: reply.generateCsrf()
    })
  }

  fastify.get('/personale/api-noegler', admin, async (request, reply) => await render(reply, { saved: (request.query as Record<string, string | undefined>).gemt === '1' }))

  fastify.post('/personale/api-noegler', admin, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>
    const text = (key: string) => typeof body[key] === 'string' ? body[key] : ''
    const form: TokenForm = {
      name: text('name'),
      scopes: API_SCOPES.filter(s => text(`scope_${s.replace(':', '_')}`) === '1'),
      expiresOn: text('expires_on').trim()
    }
    if (!fastify.checkCsrf(request)) return await render(reply, { form, formMessage: STALE_FORM.message }, 403)
    const result = validateApiTokenForm(form)
    if (!result.ok) return await render(reply, { form, errors: result.errors }, 400)
    const { token } = await createApiToken(fastify.db, request.actor, result.value)
    return await render(reply, { newToken: token }, 201)
  })

  fastify.post<{ Params: { id: string } }>('/personale/api-noegler/:id/tilbagekald', admin, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await render(reply, { formMessage: STALE_FORM.message }, 403)
    await revokeToken(fastify.db, request.actor, id)
    return await reply.redirect('/personale/api-noegler?gemt=1', 303)
  })
}

export default tokenRoutes
