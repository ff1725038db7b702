import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { CITIZEN } from '../../domain/actor.ts'
import { STALE_FORM } from '../../domain/error-messages.ts'
import { offerStillOpen } from '../../domain/seat-offer.ts'
import { type OfferPage, type OfferResult, acceptOffer, declineOffer, getOfferPage } from '../../services/offer-service.ts'
import { isTokenShaped } from '../params.ts'

/** What the page says after an answer, by the code in its address (?svar=…). */
const ANSWERED: Record<string, string> = {
  ja: 'Tak for svaret.',
  nej: 'Tak for svaret.',
  allerede: 'Du havde allerede svaret. Dit første svar gælder.'
}

const ANSWER_CODE: Record<OfferResult, string> = {
  accepted: 'ja',
  declined: 'nej',
  already_accepted: 'allerede',
  already_declined: 'allerede',
  too_late: '',
  withdrawn: ''
}

/**
 * The private page of a seat offer (/tilbud/:token): the citizen answers "Ja, jeg kommer"
 * or "Nej tak" before the deadline. The token in the address is the only key; an unknown
 * one is the site's normal 404 page.
 */
const offerRoutes: FastifyPluginAsync = async (fastify) => {
  async function loadOffer (token: string): Promise<OfferPage | undefined> {
    return isTokenShaped(token) ? await getOfferPage(fastify.db, token) : undefined
  }

  async function renderOffer (reply: FastifyReply, page: OfferPage, opts: { answered?: string, formMessage?: string } = {}, status = 200) {
    reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex, nofollow')
    const now = new Date()
    const open = offerStillOpen(page.offer, now.toISOString()) && page.booking.status === 'waitlisted'
    // An open offer past its deadline (the minute's job has not run yet) reads as expired.
    const state = page.offer.state === 'open' && !open ? 'expired' : page.offer.state
    const titles: Record<string, string> = {
      open: 'Der er en plads til dig',
      accepted: 'Du har fået pladsen',
      declined: 'Du har sagt nej tak',
      expired: 'Fristen er gået',
      withdrawn: 'Tilbuddet er ikke længere åbent'
    }
    return await reply.code(status).viewAsync('public/offer', {
      title: titles[state] ?? titles.withdrawn,
      ...page,
      state,
      answered: opts.answered !== undefined ? ANSWERED[opts.answered] : undefined,
      formMessage: opts.formMessage,
      csrfToken: open ? reply.generateCsrf() : undefined
    })
  }

  fastify.get<{ Params: { token: string } }>('/tilbud/:token', async (request, reply) => {
    const page = await loadOffer(request.params.token)
    if (!page) return reply.callNotFound()
    const answered = (request.query as Record<string, string | undefined>).svar
    return await renderOffer(reply, page, { answered: answered !== undefined && Object.hasOwn(ANSWERED, answered) ? answered : undefined })
  })

  fastify.post<{ Params: { token: string } }>('/tilbud/:token', async (request, reply) => {
    const page = await loadOffer(request.params.token)
    if (!page) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await renderOffer(reply, page, { formMessage: STALE_FORM.message }, 403)
    const answer = (request.body as Record<string, unknown> | undefined)?.svar
    if (answer !== 'ja' && answer !== 'nej') return await reply.redirect(`/tilbud/${page.offer.token}`, 303)
    const outcome = answer === 'ja'
      ? await acceptOffer(fastify.db, CITIZEN, page.offer.token, 'email')
      : await declineOffer(fastify.db, CITIZEN, page.offer.token, 'email')
    request.log.info({ classId: page.offer.class_id, result: outcome?.result }, 'seat offer answered')
    const code = outcome ? ANSWER_CODE[outcome.result] : ''
    return await reply.redirect(`/tilbud/${page.offer.token}${code ? `?svar=${code}` : ''}`, 303)
  })
}

export default offerRoutes
