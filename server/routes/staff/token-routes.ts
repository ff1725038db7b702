import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { listApiTokens } from '../../repositories/api-token-repository.ts'
import { createApiToken, revokeToken } from '../../services/api-token-service.ts'
import { parseId } from '../params.ts'

/** Admins make API tokens for library websites (shown once) and revoke them. */
const tokenRoutes: FastifyPluginAsync = async (fastify) => {
  const admin = { preHandler: fastify.requireStaff('admin') }

  async function render (reply: FastifyReply, data: { name?: string, error?: string, newToken?: string, saved?: boolean }, status = 200) {
    reply.code(status)
    return await reply.viewAsync('staff/api-tokens', { title: 'API-nøgler', tokens: await listApiTokens(fastify.db), name: data.name ?? '', error: data.error, newToken: data.newToken, saved: data.saved ?? false, docsUrl: `${fastify.config.publicUrl}/api/docs`, csrfToken: reply.generateCsrf() })
  }

  fastify.get('/personale/api-noegler', admin, async (request, reply) => await render(reply, { saved: (request.query as Record<string, string | undefined>).gemt === '1' }))

  fastify.post('/personale/api-noegler', admin, async (request, reply) => {
    const raw = (request.body as Record<string, unknown> | undefined)?.name
    const name = typeof raw === 'string' ? raw.replace(/\s+/g, ' ').trim() : ''
    if (!fastify.checkCsrf(request)) return await render(reply, { name, error: 'Siden var for gammel. Tryk på knappen igen.' }, 403)
    if (name === '' || name.length > 100) return await render(reply, { name, error: 'Skriv et navn på højst 100 tegn, fx «Bibliotekets hjemmeside».' }, 400)
    const { token } = await createApiToken(fastify.db, name, request.staff?.id ?? 0)
    return await render(reply, { newToken: token }, 201)
  })

  fastify.post<{ Params: { id: string } }>('/personale/api-noegler/:id/tilbagekald', admin, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await render(reply, { error: 'Siden var for gammel. Tryk på knappen igen.' }, 403)
    await revokeToken(fastify.db, id, request.staff?.id ?? 0)
    return await reply.redirect('/personale/api-noegler?gemt=1', 303)
  })
}

export default tokenRoutes
