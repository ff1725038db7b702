import type { FastifyPluginAsync } from 'fastify'
import { findParticipant } from '../../repositories/participant-repository.ts'
import { eraseParticipant, exportParticipant, getRetentionStatus } from '../../services/privacy-service.ts'
import { parseId } from '../params.ts'

/** Personal data by the book: the retention status, and a person's export and erasure. */
const privacyRoutes: FastifyPluginAsync = async (fastify) => {
  const leader = { config: { role: 'leader' } } as const
  const admin = { config: { role: 'admin' } } as const

  fastify.get('/personale/persondata', leader, async (_request, reply) => {
    const status = await getRetentionStatus(fastify.db, fastify.config.retentionMonths)
    return await reply.viewAsync('staff/privacy', { title: 'Persondata', status })
  })

  fastify.get<{ Params: { id: string } }>('/personale/deltagere/:id/eksport', admin, async (request, reply) => {
    const id = parseId(request.params.id)
    const data = id === undefined ? undefined : await exportParticipant(fastify.db, id)
    if (!data || id === undefined) return reply.callNotFound()
    return await reply.viewAsync('staff/participant-export', { title: `Data om ${data.participant.name}`, data })
  })

  fastify.get<{ Params: { id: string } }>('/personale/deltagere/:id/eksport.json', admin, async (request, reply) => {
    const id = parseId(request.params.id)
    const data = id === undefined ? undefined : await exportParticipant(fastify.db, id)
    if (!data || id === undefined) return reply.callNotFound()
    return await reply
      .type('application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="deltager-${id}.json"`)
      .send(JSON.stringify(data, null, 2))
  })

  fastify.post<{ Params: { id: string } }>('/personale/deltagere/:id/slet', admin, async (request, reply) => {
    const id = parseId(request.params.id)
    const participant = id === undefined ? undefined : await findParticipant(fastify.db, id)
    if (!participant || id === undefined) return reply.callNotFound()
    const body = (request.body ?? {}) as Record<string, unknown>
    if (!fastify.checkCsrf(request)) return await reply.staleForm()
    if (body.confirm !== '1') return await reply.redirect(`/personale/deltagere/${id}?slet=bekraeft#persondata`, 303)
    await eraseParticipant(fastify.db, request.actor, id)
    return await reply.redirect(`/personale/deltagere/${id}?slet=ok`, 303)
  })
}

export default privacyRoutes
