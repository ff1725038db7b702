import type { FastifyPluginAsync } from 'fastify'
import { listInbound } from '../../repositories/sms-repository.ts'
import { setInboundHandled, setLandline } from '../../services/sms-service.ts'
import { bodyText, parseId, queryString } from '../params.ts'

const PAGE_SIZE = 50

export const INBOUND_KIND_LABELS = { stop: 'STOP', start: 'START', reply: 'Svar' } as const

/** The notice after a number was marked (?sms=fastnet) or unmarked (?sms=mobil) as a landline. */
export function smsNotice (query: unknown): string | undefined {
  const value = queryString(query, 'sms')
  if (value === 'fastnet') return 'Nummeret er markeret som fastnet. Der bliver ikke sendt sms til det, og sms\'er, der ventede, er taget tilbage.'
  if (value === 'mobil') return 'Nummeret kan få sms igen.'
  return undefined
}

/**
 * "Modtagne sms'er": texts sent to our number, newest first, with the sender's booking,
 * and a mark for those dealt with. And the landline mark on a booking's or a
 * participant's number, which stops texts to it.
 */
const smsRoutes: FastifyPluginAsync = async (fastify) => {
  const leader = { config: { role: 'leader' } } as const
  const pageOf = (value: string | undefined) => Math.min(Math.max(Number(value ?? '1') || 1, 1), 10_000)

  fastify.get('/personale/sms', leader, async (request, reply) => {
    const page = pageOf(queryString(request.query, 'side'))
    const rows = await listInbound(fastify.db, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    return await reply.viewAsync('staff/sms-inbound', {
      title: 'Modtagne sms\'er',
      texts: rows.slice(0, PAGE_SIZE),
      hasMore: rows.length > PAGE_SIZE,
      page,
      kindLabels: INBOUND_KIND_LABELS,
      webhookConfigured: fastify.config.sms.webhookSecret !== null,
      csrfToken: reply.generateCsrf()
    })
  })

  fastify.post<{ Params: { id: string } }>('/personale/sms/:id/klaret', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await reply.staleForm()
    const handled = bodyText(request.body, 'klaret') !== '0'
    if (!await setInboundHandled(fastify.db, request.actor, id, handled)) return reply.callNotFound()
    return await reply.redirect(`/personale/sms?side=${pageOf(bodyText(request.body, 'side'))}#sms-${id}`, 303)
  })

  // "Fastnet – send ikke sms" / "Send sms igen" beside a booking's numbers.
  fastify.post<{ Params: { id: string } }>('/personale/tilmeldinger/:id/fastnet', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await reply.staleForm()
    const who = bodyText(request.body, 'hvem') === 'booker' ? 'booker' : 'participant'
    const landline = bodyText(request.body, 'fastnet') === '1'
    if (!await setLandline(fastify.db, request.actor, { bookingId: id, who }, landline)) return reply.callNotFound()
    return await reply.redirect(`/personale/tilmeldinger/${id}?sms=${landline ? 'fastnet' : 'mobil'}#sms`, 303)
  })

  // The same beside a participant's own number.
  fastify.post<{ Params: { id: string } }>('/personale/deltagere/:id/fastnet', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await reply.staleForm()
    const landline = bodyText(request.body, 'fastnet') === '1'
    if (!await setLandline(fastify.db, request.actor, { participantId: id }, landline)) return reply.callNotFound()
    return await reply.redirect(`/personale/deltagere/${id}?sms=${landline ? 'fastnet' : 'mobil'}#sms`, 303)
  })
}

export default smsRoutes
