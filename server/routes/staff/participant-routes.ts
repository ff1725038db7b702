import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { DomainError } from '../../domain/errors.ts'
import { DOMAIN_MESSAGES, STALE_FORM } from '../../domain/error-messages.ts'
import { formatPhone } from '../../domain/phone.ts'
import { searchParticipants } from '../../repositories/participant-repository.ts'
import { type ParticipantErrors, type ParticipantValues, validateParticipantDetails } from '../../domain/booking-form.ts'
import { correctParticipant, getParticipantPage, mergeParticipants } from '../../services/participant-service.ts'
import { DEVICES, getLearnerHistory } from '../../services/learning-service.ts'
import { describeNumbers } from '../../services/sms-service.ts'
import { getAttendanceRecord, getMissedNote } from '../../services/no-show-service.ts'
import { smsNotice } from './sms-routes.ts'
import { parseId, queryString } from '../params.ts'

const ERASE_MESSAGES: Record<string, { tone: 'success' | 'error', text: string } | undefined> = {
  ok: { tone: 'success', text: 'Personens oplysninger er slettet. Tilmeldinger og fremmøde tælles stadig, uden navn.' },
  bekraeft: { tone: 'error', text: 'Sæt kryds for at bekræfte, at personen har bedt om at blive slettet.' }
}

/** What happened when staff booked the person onto a suggested class. */
function bookedMessage (result: string | undefined): { tone: 'success' | 'error' | 'info', text: string } | undefined {
  if (result === undefined) return undefined
  if (result === 'plads') return { tone: 'success', text: 'Deltageren har fået en plads. En bekræftelse er sendt, hvis vi har en e-mail.' }
  if (result === 'fandtes') return { tone: 'info', text: 'Deltageren var allerede tilmeldt holdet.' }
  const waiting = /^venteliste-(\d+)$/.exec(result)
  if (waiting) return { tone: 'info', text: `Holdet er fuldt. Deltageren er nr. ${waiting[1]} på ventelisten.` }
  const known = Object.hasOwn(DOMAIN_MESSAGES, result) ? DOMAIN_MESSAGES[result as keyof typeof DOMAIN_MESSAGES] : undefined
  return known ? { tone: 'error', text: known.message } : undefined
}

/** One person across their bookings; finding them and merging duplicate records. */
const participantRoutes: FastifyPluginAsync = async (fastify) => {
  const leader = { config: { role: 'leader' } } as const

  fastify.get('/personale/deltagere', leader, async (request, reply) => {
    const q = (queryString(request.query, 'q') ?? '').trim().slice(0, 100)
    // A phone number is searched without spaces or +45, as numbers are stored "+4512345678".
    const looksLikePhone = /^[\d\s+()-]+$/.test(q)
    const term = looksLikePhone ? q.replace(/[\s()-]/g, '').replace(/^(\+|00)45/, '') : q.toLowerCase().includes('@') ? q.toLowerCase() : q
    const results = q.length >= 2 ? await searchParticipants(fastify.db, term) : []
    return await reply.viewAsync('staff/participants', { title: 'Deltagere', q, results, searched: q.length >= 2 })
  })

  interface EditState { values: ParticipantValues, errors: ParticipantErrors, message?: string }

  async function renderParticipant (reply: FastifyReply, id: number, status = 200, message?: string, merged = false, booked?: string, erase?: string, edit?: EditState, corrected = false) {
    const page = await getParticipantPage(fastify.db, id)
    if (!page) return reply.callNotFound()
    const history = await getLearnerHistory(fastify.db, id)
    const p = page.participant
    const editState: EditState = edit ?? { values: { name: p.name, phone: p.phone ? formatPhone(p.phone) : '', email: p.email ?? '', birth_year: p.birth_year === null ? '' : String(p.birth_year) }, errors: {} }
    const numbers = await describeNumbers(fastify.db, [p.phone])
    const [record, missedNote] = await Promise.all([getAttendanceRecord(fastify.db, id), getMissedNote(fastify.db, id)])
    reply.code(status)
    return await reply.viewAsync('staff/participant', { title: page.participant.name, ...page, history, numbers, record, missedNote, smsNotice: smsNotice(reply.request.query), devices: DEVICES, message, merged, booked: bookedMessage(booked), erase: erase !== undefined && Object.hasOwn(ERASE_MESSAGES, erase) ? ERASE_MESSAGES[erase] : undefined, isAdmin: reply.request.staff?.role === 'admin', edit: editState, corrected, csrfToken: reply.generateCsrf() })
  }

  fastify.get<{ Params: { id: string } }>('/personale/deltagere/:id', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    const query = request.query as Record<string, string | undefined>
    return await renderParticipant(reply, id, 200, undefined, query.samlet === '1', query.tilmeldt, query.slet, undefined, query.rettet === '1')
  })

  // A leader corrects the person's name and contact details (a public form never can).
  fastify.post<{ Params: { id: string } }>('/personale/deltagere/:id/ret', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    const body = request.body as Record<string, unknown> | undefined
    const field = (name: string) => typeof body?.[name] === 'string' ? body[name] : ''
    const values: ParticipantValues = { name: field('name'), phone: field('phone'), email: field('email'), birth_year: field('birth_year') }
    if (!fastify.checkCsrf(request)) {
      return await renderParticipant(reply, id, 403, undefined, false, undefined, undefined, { values, errors: {}, message: STALE_FORM.message })
    }
    const result = validateParticipantDetails(values)
    if (!result.ok) return await renderParticipant(reply, id, 400, undefined, false, undefined, undefined, { values, errors: result.errors })
    try {
      await correctParticipant(fastify.db, request.actor, id, result.person)
      return await reply.redirect(`/personale/deltagere/${id}?rettet=1#ret`, 303)
    } catch (error) {
      if (error instanceof DomainError && error.code in DOMAIN_MESSAGES) {
        return await renderParticipant(reply, id, DOMAIN_MESSAGES[error.code].status, undefined, false, undefined, undefined, { values, errors: {}, message: DOMAIN_MESSAGES[error.code].message })
      }
      throw error
    }
  })

  fastify.post<{ Params: { id: string } }>('/personale/deltagere/:id/slaa-sammen', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await renderParticipant(reply, id, 403, STALE_FORM.message)
    const other = parseId((request.body as Record<string, unknown> | undefined)?.other_id)
    if (other === undefined) return await renderParticipant(reply, id, 400, 'Vælg den deltager, der skal slås sammen med denne.')
    if ((request.body as Record<string, unknown> | undefined)?.bekraeft !== 'ja') {
      // Nothing is merged until the leader has seen both people and said yes.
      const [keep, merge] = await Promise.all([getParticipantPage(fastify.db, id), getParticipantPage(fastify.db, other)])
      if (!keep) return reply.callNotFound()
      if (!merge || other === id) return await renderParticipant(reply, id, 400, 'Vælg den deltager, der skal slås sammen med denne.')
      return await reply.viewAsync('staff/participant-merge', { title: 'Slå deltagere sammen', keep, merge, csrfToken: reply.generateCsrf() })
    }
    try {
      await mergeParticipants(fastify.db, request.actor, id, other)
      return await reply.redirect(`/personale/deltagere/${id}?samlet=1`, 303)
    } catch (error) {
      if (error instanceof DomainError && error.code in DOMAIN_MESSAGES) return await renderParticipant(reply, id, DOMAIN_MESSAGES[error.code].status, DOMAIN_MESSAGES[error.code].message)
      throw error
    }
  })
}

export default participantRoutes
