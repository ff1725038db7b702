import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { Value } from '@sinclair/typebox/value'
import type { WalkInValues } from '../../domain/booking-form.ts'
import { CODE_ALPHABET, CODE_LENGTH } from '../../domain/checkin-code.ts'
import type { DomainError } from '../../domain/errors.ts'
import { STALE_FORM } from '../../domain/error-messages.ts'
import { hasRole } from '../../domain/staff.ts'
import { copenhagenDate } from '../../domain/time.ts'
import { findCheckinLink, listCheckinLinks } from '../../repositories/checkin-repository.ts'
import { MAX_PIN_ATTEMPTS } from '../../services/checkin-link-service.ts'
import { type CheckinResult, newCheckinKey, runCheckinAction } from '../../services/checkin-service.ts'
import { setWalkinsOverCapacity } from '../../services/class-service.ts'
import type { Door } from '../../services/door-access-service.ts'
import { checkinSheetOf, doorListOf, getDoorHelp, getTodaysMeetings } from '../../services/door-view-service.ts'
import type { MilestoneMove } from '../../services/milestone-service.ts'
import { bodyText, parseId, queryString } from '../params.ts'
import { SyncBody, parseFormAction, parseSyncAction } from './door-actions.ts'
import { deny, doorAccess, errorMessage, leaderDoor } from './door-replies.ts'

/** One Danish sentence for what happened at the door. */
function describe (r: CheckinResult): string {
  switch (r.outcome) {
    case 'checked_in': return r.seated ? `${r.name} har fået en plads${r.overCapacity ? ' ud over antallet af pladser' : ''} og er tjekket ind.` : `${r.name} er tjekket ind.`
    case 'already_checked_in': return `${r.name} var allerede tjekket ind.`
    case 'undone': return `${r.name} er ikke længere tjekket ind.`
    case 'not_checked_in': return `${r.name} var ikke tjekket ind.`
  }
}

/** What happened to a milestone when a check-in was taken back, so the flowers go to the right person. */
function describeMove (name: string, m: MilestoneMove): string {
  const n = m.number.toLocaleString('da-DK')
  const now = m.holder === null
    ? `Ingen har nr. ${n} endnu: den næste nye deltager får nummeret.`
    : m.holder.name !== null
      ? `Nu er ${m.holder.name} nr. ${n} og skal fejres.`
      : `Nu er nr. ${n} en deltager på et andet hold (${m.holder.courseTitle}, ${m.holder.locationName}).`
  return `${name} er ikke længere deltager nr. ${n} ${m.scopeLabel}. ${now} Projektlederen har fået besked.`
}

/**
 * The door of a class: a tablet check-in for one meeting at a time. Signed-in leaders
 * may open any meeting, volunteers the classes they are on, and a tablet holding a PIN
 * link only that link's meeting on its day. What the door sees is names and needs,
 * never phone numbers or e-mail addresses.
 */
const checkinRoutes: FastifyPluginAsync = async (fastify) => {
  const { db } = fastify

  async function renderSheet (request: FastifyRequest, reply: FastifyReply, door: Door, opts: { status?: number, walkIn?: { values: WalkInValues, errors: Partial<Record<keyof WalkInValues, string>> }, codeError?: string, codeValue?: string } = {}) {
    const sheet = await checkinSheetOf(db, door.ctx)
    const q = (queryString(request.query, 'q') ?? '').trim().slice(0, 100)
    const needle = q.toLocaleLowerCase('da')
    const flash = request.session.get('checkinFlash')
    if (flash) request.session.set('checkinFlash', undefined)
    const links = door.isLeader ? await listCheckinLinks(db, door.ctx.meeting.id) : []
    const today = copenhagenDate(new Date())
    // "Fortryd" without JavaScript: the row asks before anything is undone.
    const askUndo = parseId(queryString(request.query, 'fortryd') ?? '')
    reply.code(opts.status ?? 200).header('cache-control', 'no-store')
    return await reply.viewAsync('checkin/sheet', {
      title: `Tjek ind: ${door.ctx.courseTitle}`,
      scripts: ['/static/js/checkin.js'],
      door,
      sheet,
      shown: needle === '' ? sheet.people : sheet.people.filter(p => p.name.toLocaleLowerCase('da').includes(needle)),
      q,
      flash,
      askUndo: sheet.people.some(p => p.bookingId === askUndo && p.attended) ? askUndo : undefined,
      isToday: copenhagenDate(door.ctx.meeting.starts_at) === today,
      walkIn: opts.walkIn ?? { values: { name: '', phone: '', email: '' }, errors: {} },
      codeError: opts.codeError,
      codeValue: opts.codeValue ?? '',
      links: links.filter(l => l.revoked_at === null && l.valid_on >= today),
      maxPinAttempts: MAX_PIN_ATTEMPTS,
      newKey: newCheckinKey,
      codeAlphabet: CODE_ALPHABET,
      codeLength: CODE_LENGTH,
      csrfToken: reply.generateCsrf()
    })
  }

  fastify.get('/tjek-ind', async (request, reply) => {
    const staff = request.staff
    const linkId = request.session.get('checkinLinkId')
    if (!staff && linkId !== undefined) {
      const link = await findCheckinLink(db, linkId)
      if (link) return await reply.redirect(`/tjek-ind/${link.meeting_id}`, 303)
    }
    if (!staff) return await deny(request, reply, 'signin')
    const isLeader = hasRole(staff.role, 'leader')
    const today = await getTodaysMeetings(db, staff.id, isLeader)
    const help = !isLeader && today.mine.length === 0 ? await getDoorHelp(db, staff.id) : undefined
    reply.header('cache-control', 'no-store')
    return await reply.viewAsync('checkin/today', { title: 'Tjek ind', ...today, isLeader, help })
  })

  fastify.get<{ Params: { meetingId: string } }>('/tjek-ind/:meetingId', async (request, reply) => {
    const meetingId = parseId(request.params.meetingId)
    if (meetingId === undefined) return reply.callNotFound()
    const door = await doorAccess(db, request, meetingId)
    if (typeof door === 'string') return await deny(request, reply, door)
    return await renderSheet(request, reply, door)
  })

  /** The form way (no JavaScript): one action, then back to the list with a message. */
  // Generous for a busy door (a tablet polls every 15 s), but a stop to floods from one address.
  const doorLimit = { config: { rateLimit: { max: fastify.config.doorRateLimit, timeWindow: '1 minute' } } }

  fastify.post<{ Params: { meetingId: string } }>('/tjek-ind/:meetingId/handling', doorLimit, async (request, reply) => {
    const meetingId = parseId(request.params.meetingId)
    if (meetingId === undefined) return reply.callNotFound()
    const door = await doorAccess(db, request, meetingId)
    if (typeof door === 'string') return await deny(request, reply, door)
    const body = request.body
    const type = bodyText(body, 'type')
    const walkInValues = { name: bodyText(body, 'name'), phone: bodyText(body, 'phone'), email: bodyText(body, 'email') }
    if (!fastify.checkCsrf(request)) {
      if (type !== 'walkin') return await reply.staleForm()
      request.session.set('checkinFlash', { tone: 'error', text: STALE_FORM.message })
      return await renderSheet(request, reply, door, { status: 403, walkIn: { values: walkInValues, errors: {} } })
    }
    const parsed = parseFormAction(body, newCheckinKey)
    if (!parsed.ok) {
      if (parsed.error === 'invalid') return await renderSheet(request, reply, door, { status: 400, walkIn: { values: walkInValues, errors: parsed.errors } })
      if (type === 'code') return await renderSheet(request, reply, door, { status: 400, codeError: parsed.message, codeValue: bodyText(body, 'code').slice(0, 100) })
      return await reply.redirect(`/tjek-ind/${meetingId}`, 303)
    }
    const action = parsed.action
    // Undoing is never one tap: without the row's "Ja, fortryd" it only asks.
    if (action.type === 'out' && bodyText(body, 'confirm') !== '1') return await reply.redirect(`/tjek-ind/${meetingId}?fortryd=${action.bookingId}#p-${action.bookingId}`, 303)
    try {
      const r = await runCheckinAction(db, door.actor, meetingId, action, { mayOverfill: door.mayOverfill })
      request.session.set('checkinFlash', {
        tone: r.outcome === 'checked_in' || r.outcome === 'undone' ? 'success' : 'info',
        text: describe(r),
        celebrate: r.milestones.map(m => ({ name: r.name, number: m.number, scopeLabel: m.scopeLabel })),
        moved: r.milestonesMoved.map(m => describeMove(r.name, m)),
        place: type === 'walkin' ? 'walkin' : undefined
      })
    } catch (error) {
      const message = errorMessage(error)
      if (!message) throw error
      if (type === 'walkin') return await renderSheet(request, reply, door, { status: 409, walkIn: { values: walkInValues, errors: { name: message } } })
      if (type === 'code') return await renderSheet(request, reply, door, { status: 409, codeError: message, codeValue: bodyText(body, 'code').slice(0, 100) })
      request.session.set('checkinFlash', { tone: 'error', text: message })
    }
    // The search is cleared for the next person; the message stands where the volunteer looks.
    return await reply.redirect(`/tjek-ind/${meetingId}#${type === 'walkin' ? 'ny' : 'besked'}`, 303)
  })

  /**
   * The tablet's way: a batch of actions it kept while the network was down, each with
   * its own idempotency key, applied in order. Sending the same batch twice changes
   * nothing. The answer has each action's result and the list as it now is.
   */
  fastify.post<{ Params: { meetingId: string } }>('/tjek-ind/:meetingId/synk', doorLimit, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    const meetingId = parseId(request.params.meetingId)
    if (meetingId === undefined) return await reply.code(404).send({ error: 'not_found' })
    const door = await doorAccess(db, request, meetingId)
    if (typeof door === 'string') return await reply.code(door === 'missing' ? 404 : door === 'signin' ? 401 : 403).send({ error: door, message: door === 'signin' ? 'Du er ikke logget ind længere. Log ind igen; det, der venter, bliver sendt bagefter.' : 'Du har ikke adgang til at tjekke ind på dette hold.' })
    if (!fastify.checkCsrf(request)) return await reply.code(403).send({ error: 'csrf', message: 'Siden var for gammel. Genindlæs siden; det, der venter, bliver sendt bagefter.' })
    const body = request.body
    if (!Value.Check(SyncBody, body)) return await reply.code(400).send({ error: 'bad_request', message: 'Forkert forespørgsel.' })
    const results: Array<Record<string, unknown>> = []
    for (const item of body.actions) {
      const parsed = parseSyncAction(item)
      if (!parsed.ok) { results.push({ key: parsed.key, ok: false, error: parsed.error, message: parsed.message }); continue }
      const { key, action } = parsed
      try {
        const r = await runCheckinAction(db, door.actor, meetingId, action, { mayOverfill: door.mayOverfill })
        const moved = r.milestonesMoved.map(m => describeMove(r.name, m))
        results.push({ ok: true, ...r, message: describe(r), milestoneMessage: moved.length > 0 ? moved.join(' ') : undefined })
      } catch (error) {
        const message = errorMessage(error)
        if (!message) throw error
        results.push({ key, ok: false, error: (error as DomainError).code, message })
      }
    }
    const sheet = await doorListOf(db, door.ctx)
    return await reply.send({
      results,
      sheet: {
        attendedCount: sheet.attendedCount,
        confirmedCount: sheet.confirmedCount,
        seatsLeft: sheet.seatsLeft,
        people: sheet.people.map(p => ({ bookingId: p.bookingId, name: p.name, needs: p.needs, attended: p.attended }))
      }
    })
  })

  fastify.post<{ Params: { meetingId: string } }>('/tjek-ind/:meetingId/walkins', async (request, reply) => {
    const meetingId = parseId(request.params.meetingId)
    if (meetingId === undefined) return reply.callNotFound()
    const open = await leaderDoor(fastify, request, reply, meetingId)
    if ('answer' in open) return open.answer
    const { door } = open
    const allow = bodyText(request.body, 'allow') === '1'
    await setWalkinsOverCapacity(db, door.actor, door.ctx.classId, allow)
    request.session.set('checkinFlash', { tone: 'success', text: allow ? 'Frivillige kan nu give plads til deltagere ved døren, også når holdet er fuldt.' : 'Deltagere ved døren får kun en plads, hvis der er en ledig.' })
    return await reply.redirect(`/tjek-ind/${meetingId}#leder`, 303)
  })
}

export default checkinRoutes
