import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import QRCode from 'qrcode'
import { STALE_FORM } from '../../domain/error-messages.ts'
import { signInRateLimit } from '../../plugins/security.ts'
import { createCheckinLink, findLinkByToken, MAX_PIN_ATTEMPTS, openLinkWithPin, revokeLink } from '../../services/checkin-link-service.ts'
import { bodyText, parseId } from '../params.ts'
import { errorMessage, leaderDoor } from './door-replies.ts'

/**
 * One-day PIN links for a tablet without an account: a leader makes one for a meeting
 * (shown once, with its QR code) or stops it; the tablet opens it by typing the PIN, and
 * its session may then check in at that meeting, on that day only.
 */
const checkinLinkRoutes: FastifyPluginAsync = async (fastify) => {
  const { db } = fastify

  /** A leader makes a one-day link with a PIN for a tablet; the link and PIN are shown once. */
  fastify.post<{ Params: { meetingId: string } }>('/tjek-ind/:meetingId/link', async (request, reply) => {
    const meetingId = parseId(request.params.meetingId)
    if (meetingId === undefined) return reply.callNotFound()
    const open = await leaderDoor(fastify, request, reply, meetingId)
    if ('answer' in open) return open.answer
    const { door } = open
    try {
      const link = await createCheckinLink(db, door.actor, meetingId)
      const url = `${fastify.config.publicUrl}/tjek-ind/adgang/${link.token}`
      reply.header('cache-control', 'no-store')
      return await reply.viewAsync('checkin/link-created', { title: 'Link til tablet', door, url, pin: link.pin, validOn: link.validOn, qr: await QRCode.toString(url, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' }) })
    } catch (error) {
      const message = errorMessage(error)
      if (!message) throw error
      request.session.set('checkinFlash', { tone: 'error', text: message })
      return await reply.redirect(`/tjek-ind/${meetingId}#leder`, 303)
    }
  })

  fastify.post<{ Params: { meetingId: string, linkId: string } }>('/tjek-ind/:meetingId/link/:linkId/stop', async (request, reply) => {
    const meetingId = parseId(request.params.meetingId)
    const linkId = parseId(request.params.linkId)
    if (meetingId === undefined || linkId === undefined) return reply.callNotFound()
    const open = await leaderDoor(fastify, request, reply, meetingId)
    if ('answer' in open) return open.answer
    const { door } = open
    if (await revokeLink(db, door.actor, linkId) === meetingId) {
      request.session.set('checkinFlash', { tone: 'success', text: 'Linket virker ikke længere.' })
    }
    return await reply.redirect(`/tjek-ind/${meetingId}#leder`, 303)
  })

  async function renderPin (reply: FastifyReply, token: string, status: number, error?: string) {
    reply.code(status).header('cache-control', 'no-store')
    return await reply.viewAsync('checkin/pin', { title: 'Tjek ind med PIN-kode', token, error, csrfToken: reply.generateCsrf() })
  }

  const LINK_PROBLEMS: Record<Exclude<Awaited<ReturnType<typeof findLinkByToken>>['state'], 'ok'>, string> = {
    unknown: 'Linket findes ikke. Tjek, at du har hele linket med, eller bed projektlederen om et nyt.',
    revoked: 'Linket er stoppet af projektlederen. Bed om et nyt.',
    wrong_day: 'Linket virker kun på holdets egen dag. Bed projektlederen om et nyt, hvis det er i dag.',
    locked: `Der er skrevet en forkert PIN-kode ${MAX_PIN_ATTEMPTS} gange, så linket er låst. Bed projektlederen om et nyt.`
  }

  fastify.get<{ Params: { token: string } }>('/tjek-ind/adgang/:token', async (request, reply) => {
    const { state } = await findLinkByToken(db, request.params.token)
    if (state !== 'ok') return await reply.code(state === 'unknown' ? 404 : 410).header('cache-control', 'no-store').viewAsync('errors/error', { title: 'Linket virker ikke', message: LINK_PROBLEMS[state], status: 410 })
    return await renderPin(reply, request.params.token, 200)
  })

  fastify.post<{ Params: { token: string } }>('/tjek-ind/adgang/:token', {
    config: { rateLimit: signInRateLimit(20) }
  }, async (request, reply) => {
    const token = request.params.token
    if (!fastify.checkCsrf(request)) return await renderPin(reply, token, 403, STALE_FORM.message)
    const result = await openLinkWithPin(db, token, bodyText(request.body, 'pin').replace(/\s/g, '').slice(0, 10))
    if (result.state === 'wrong_pin') return await renderPin(reply, token, 401, `PIN-koden er forkert. Du kan prøve ${result.attemptsLeft} gange mere.`)
    if (result.state !== 'ok') return await reply.code(410).header('cache-control', 'no-store').viewAsync('errors/error', { title: 'Linket virker ikke', message: LINK_PROBLEMS[result.state], status: 410 })
    if (!result.link) return reply.callNotFound()
    request.session.set('checkinLinkId', result.link.id)
    request.log.info({ linkId: result.link.id }, 'check-in link opened')
    return await reply.redirect(`/tjek-ind/${result.link.meeting_id}`, 303)
  })
}

export default checkinLinkRoutes
