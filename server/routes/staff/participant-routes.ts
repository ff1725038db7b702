import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { DomainError } from '../../domain/errors.ts'
import { DOMAIN_MESSAGES } from '../../plugins/errors.ts'
import { searchParticipants } from '../../repositories/participant-repository.ts'
import { getParticipantPage, mergeParticipants } from '../../services/participant-service.ts'
import { DEVICES, getLearnerHistory } from '../../services/learning-service.ts'
import { parseId, queryString } from '../params.ts'

const ERASE_MESSAGES: Record<string, { tone: 'success' | 'error', text: string } | undefined> = {
  ok: { tone: 'success', text: 'Personens oplysninger er slettet. Tilmeldinger og fremmøde tælles stadig, uden navn.' },
  bekraeft: { tone: 'error', text: 'Sæt kryds for at bekræfte, at personen har bedt om at blive slettet.' },
  gammel: { tone: 'error', text: 'Siden var for gammel. Prøv igen.' }
}

/** What happened when staff booked the person onto a suggested class. */
function bookedMessage (result: string | undefined): { tone: 'success' | 'error' | 'info', text: string } | undefined {
  if (result === undefined) return undefined
  if (result === 'plads') return { tone: 'success', text: 'Deltageren har fået en plads. En bekræftelse er sendt, hvis vi har en e-mail.' }
  if (result === 'fandtes') return { tone: 'info', text: 'Deltageren var allerede tilmeldt holdet.' }
  const waiting = /^venteliste-(\d+)$/.exec(result)
  if (waiting) return { tone: 'info', text: `Holdet er fuldt. Deltageren er nr. ${waiting[1]} på ventelisten.` }
  if (result === 'gammel') return { tone: 'error', text: 'Siden var for gammel. Prøv igen.' }
  const known = Object.hasOwn(DOMAIN_MESSAGES, result) ? DOMAIN_MESSAGES[result as keyof typeof DOMAIN_MESSAGES] : undefined
  return known ? { tone: 'error', text: known.message } : undefined
}

/** One person across their bookings; finding them and merging duplicate records. */
const participantRoutes: FastifyPluginAsync = async (fastify) => {
  const leader = { preHandler: fastify.requireStaff('leader') }

  fastify.get('/personale/deltagere', leader, async (request, reply) => {
    const q = (queryString(request.query, 'q') ?? '').trim().slice(0, 100)
    // A phone number is searched without spaces or +45, as numbers are stored "+4512345678".
    const looksLikePhone = /^[\d\s+()-]+$/.test(q)
    const term = looksLikePhone ? q.replace(/[\s()-]/g, '').replace(/^(\+|00)45/, '') : q.toLowerCase().includes('@') ? q.toLowerCase() : q
    const results = q.length >= 2 ? await searchParticipants(fastify.db, term) : []
    return await reply.viewAsync('staff/participants', { title: 'Deltagere', q, results, searched: q.length >= 2 })
  })

  async function renderParticipant (reply: FastifyReply, id: number, status = 200, message?: string, merged = false, booked?: string, erase?: string) {
    const page = await getParticipantPage(fastify.db, id)
    if (!page) return reply.callNotFound()
    const history = await getLearnerHistory(fastify.db, id)
    reply.code(status)
    return await reply.viewAsync('staff/participant', { title: page.participant.name, ...page, history, devices: DEVICES, message, merged, booked: bookedMessage(booked), erase: erase !== undefined && Object.hasOwn(ERASE_MESSAGES, erase) ? ERASE_MESSAGES[erase] : undefined, isAdmin: reply.request.staff?.role === 'admin', csrfToken: reply.generateCsrf() })
  }

  fastify.get<{ Params: { id: string } }>('/personale/deltagere/:id', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    const query = request.query as Record<string, string | undefined>
    return await renderParticipant(reply, id, 200, undefined, query.samlet === '1', query.tilmeldt, query.slet)
  })

  fastify.post<{ Params: { id: string } }>('/personale/deltagere/:id/slaa-sammen', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await renderParticipant(reply, id, 403, 'Siden var for gammel. Prøv igen.')
    const other = parseId((request.body as Record<string, unknown> | undefined)?.other_id)
    if (other === undefined) return await renderParticipant(reply, id, 400, 'Vælg den deltager, der skal slås sammen med denne.')
    try {
      await mergeParticipants(fastify.db, id, other, request.staff?.id ?? 0)
      return await reply.redirect(`/personale/deltagere/${id}?samlet=1`, 303)
    } catch (error) {
      if (error instanceof DomainError && error.code in DOMAIN_MESSAGES) return await renderParticipant(reply, id, DOMAIN_MESSAGES[error.code].status, DOMAIN_MESSAGES[error.code].message)
      throw error
    }
  })
}

export default participantRoutes
