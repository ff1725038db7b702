import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import {
  BOOKING_FIELD_ORDER, type BookingFormErrors, type BookingFormValues, EMPTY_BOOKING_FORM, readBookingForm, validateBookingForm
} from '../../domain/booking-form.ts'
import { excelCsv } from '../../domain/csv.ts'
import { DomainError } from '../../domain/errors.ts'
import { DOMAIN_MESSAGES, STALE_FORM } from '../../domain/error-messages.ts'
import { formatPhone } from '../../domain/phone.ts'
import { spreadsheetDateTime } from '../../domain/time.ts'
import { findBookingById, listActiveBookings, listWaitlistCalls } from '../../repositories/booking-repository.ts'
import { findClassSummary } from '../../repositories/class-repository.ts'
import { bookSeat, cancelBooking, cancelBookingsOfBurst, moveBooking, recordWaitlistCall, saveStaffNote } from '../../services/booking-service.ts'
import { listClassesForStaff, toCard } from '../../services/class-query-service.ts'
import { describeNumbers } from '../../services/sms-service.ts'
import { findKnownParticipant, getMissedNote } from '../../services/no-show-service.ts'
import { smsNotice } from './sms-routes.ts'
import { parseId } from '../params.ts'
import { describeOffer, offerStillOpen } from '../../domain/seat-offer.ts'
import { findSeatOfferById } from '../../repositories/offer-repository.ts'
import { acceptOffer, declineOffer, listClassOffers } from '../../services/offer-service.ts'

const needsText = (b: { needs_companion: number, needs_hearing_loop: number, needs_other: string | null }) =>
  [b.needs_companion ? 'Ledsager' : '', b.needs_hearing_loop ? 'Teleslynge' : '', b.needs_other ?? ''].filter(Boolean).join('. ')

const CALL_MESSAGES: Record<string, string> = {
  accepted: 'Personen har fået pladsen.',
  declined: 'Personen er taget af ventelisten.',
  no_answer: 'Opkaldet er noteret. Personen står stadig på ventelisten.',
  class_full: 'Der er ingen ledig plads lige nu. Personen står stadig på ventelisten.',
  booking_not_waiting: 'Personen står ikke længere på ventelisten.',
  tilbud_ja: 'Personen har sagt ja og har fået pladsen.',
  tilbud_nej: 'Personen har sagt nej tak og er taget af ventelisten. Pladsen er tilbudt den næste.',
  tilbud_lukket: 'Tilbuddet var allerede besvaret, udløbet eller trukket tilbage. Intet er ændret.'
}

/** Staff book by phone, cancel for a citizen, phone the waiting list, print and export. */
const staffBookingRoutes: FastifyPluginAsync = async (fastify) => {
  const leader = { config: { role: 'leader' } } as const

  async function loadClass (idParam: string) {
    const id = parseId(idParam)
    const summary = id === undefined ? undefined : await findClassSummary(fastify.db, id)
    return summary ? toCard(summary, new Date()) : undefined
  }

  async function renderPhoneForm (reply: FastifyReply, cls: NonNullable<Awaited<ReturnType<typeof loadClass>>>, values: BookingFormValues, errors: BookingFormErrors, status = 200, formMessage?: string, lookedUp = false) {
    // A person we know (as booking would recognise them) gets the note on missed classes.
    const known = await findKnownParticipant(fastify.db, values)
    const missedNote = known ? await getMissedNote(fastify.db, known.id) : null
    reply.code(status)
    return await reply.viewAsync('staff/phone-booking', {
      title: `Tilmeld pr. telefon – ${cls.courseTitle}`,
      cls,
      form: values,
      errors,
      errorList: BOOKING_FIELD_ORDER.flatMap(field => errors[field] ? [{ field, message: errors[field] }] : []),
      formMessage,
      known,
      missedNote,
      lookedUp,
      csrfToken: reply.generateCsrf()
    })
  }

  // A leader cancels a burst of online bookings from one address in one step.
  fastify.post<{ Params: { id: string } }>('/personale/hold/:id/afmeld-flere', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await reply.staleForm()
    const raw = (request.body as Record<string, unknown> | undefined)?.booking_id
    const ids = (Array.isArray(raw) ? raw : [raw]).map(v => parseId(v)).filter((v): v is number => v !== undefined)
    try {
      const { cancelled, promoted } = await cancelBookingsOfBurst(fastify.db, request.actor, id, ids)
      return await reply.redirect(`/personale/hold/${id}?afmeldt-flere=${cancelled}&rykket=${promoted.length}#deltagere`, 303)
    } catch (error) {
      if (error instanceof DomainError && error.code in DOMAIN_MESSAGES) {
        const { status, title, message } = DOMAIN_MESSAGES[error.code]
        return await reply.code(status).viewAsync('errors/error', { title, message, status })
      }
      throw error
    }
  })

  fastify.get<{ Params: { id: string } }>('/personale/hold/:id/tilmeld', leader, async (request, reply) => {
    const cls = await loadClass(request.params.id)
    if (!cls) return reply.callNotFound()
    return await renderPhoneForm(reply, cls, EMPTY_BOOKING_FORM, {})
  })

  fastify.post<{ Params: { id: string } }>('/personale/hold/:id/tilmeld', leader, async (request, reply) => {
    const cls = await loadClass(request.params.id)
    if (!cls) return reply.callNotFound()
    const values = readBookingForm(request.body)
    if (!fastify.checkCsrf(request)) return await renderPhoneForm(reply, cls, values, {}, 403, STALE_FORM.message)
    // "Slå personen op": the form again, values kept, with what we know of the person; nothing is booked.
    if ((request.body as Record<string, unknown> | undefined)?.slaa_op === '1') return await renderPhoneForm(reply, cls, values, {}, 200, undefined, true)
    const result = validateBookingForm(values)
    if (!result.ok) return await renderPhoneForm(reply, cls, values, result.errors, 400)
    try {
      const outcome = await bookSeat(fastify.db, request.actor, cls.id, result.input, { source: 'phone' })
      const message = !outcome.created ? 'fandtes' : outcome.status === 'confirmed' ? 'plads' : `venteliste-${outcome.waitlistNumber ?? 0}`
      return await reply.redirect(`/personale/hold/${cls.id}?tilmeldt=${message}#deltagere`, 303)
    } catch (error) {
      if (error instanceof DomainError && error.code in DOMAIN_MESSAGES) return await renderPhoneForm(reply, cls, values, {}, 409, DOMAIN_MESSAGES[error.code].message)
      throw error
    }
  })

  /** "Afmeld X?": what happens to the seat, with one button that cancels and one that goes back. */
  async function renderCancelBooking (reply: FastifyReply, booking: NonNullable<Awaited<ReturnType<typeof findBookingById>>>) {
    const cls = await loadClass(String(booking.class_id))
    if (!cls) return reply.callNotFound()
    return await reply.viewAsync('staff/booking-cancel', { title: `Afmeld ${booking.name}`, booking, cls, csrfToken: reply.generateCsrf() })
  }

  fastify.get<{ Params: { id: string } }>('/personale/tilmeldinger/:id/afmeld', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    const booking = id === undefined ? undefined : await findBookingById(fastify.db, id)
    if (!booking) return reply.callNotFound()
    return await renderCancelBooking(reply, booking)
  })

  fastify.post<{ Params: { id: string } }>('/personale/tilmeldinger/:id/afmeld', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    const booking = id === undefined ? undefined : await findBookingById(fastify.db, id)
    if (!booking) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await reply.code(403).viewAsync('errors/error', { title: 'Ikke afmeldt', message: STALE_FORM.message, status: 403 })
    // Nothing is cancelled until the leader has said yes on the page that asks.
    if ((request.body as Record<string, unknown> | undefined)?.bekraeft !== 'ja') return await renderCancelBooking(reply, booking)
    let promoted = 0
    try {
      promoted = (await cancelBooking(fastify.db, request.actor, booking.token, 'staff')).promoted.length
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'booking_already_cancelled')) throw error
    }
    return await reply.redirect(`/personale/hold/${booking.class_id}?afmeldt=1&rykket=${promoted}#deltagere`, 303)
  })

  async function renderBooking (reply: FastifyReply, bookingId: number, status = 200, formMessage?: string) {
    const booking = await findBookingById(fastify.db, bookingId)
    if (!booking) return reply.callNotFound()
    const cls = await loadClass(String(booking.class_id))
    if (!cls) return reply.callNotFound()
    const targets = (await listClassesForStaff(fastify.db)).filter(c => c.id !== cls.id && c.cancelledAt === null && c.firstStartsAt !== null && c.firstStartsAt > new Date().toISOString())
    targets.sort((a, b) => Number(b.courseSlug === cls.courseSlug) - Number(a.courseSlug === cls.courseSlug))
    const numbers = await describeNumbers(fastify.db, [booking.phone, booking.booker_phone])
    const missedNote = await getMissedNote(fastify.db, booking.participant_id)
    reply.code(status)
    return await reply.viewAsync('staff/booking', { title: `Tilmelding – ${booking.name}`, booking, cls, targets, needs: needsText(booking), numbers, missedNote, smsNotice: smsNotice(reply.request.query), formMessage, csrfToken: reply.generateCsrf() })
  }

  fastify.get<{ Params: { id: string } }>('/personale/tilmeldinger/:id', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    return await renderBooking(reply, id)
  })

  fastify.post<{ Params: { id: string } }>('/personale/tilmeldinger/:id/flyt', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined || !await findBookingById(fastify.db, id)) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await renderBooking(reply, id, 403, STALE_FORM.message)
    const target = parseId((request.body as Record<string, unknown> | undefined)?.target)
    if (target === undefined) return await renderBooking(reply, id, 400, 'Vælg det hold, tilmeldingen skal flyttes til.')
    try {
      const outcome = await moveBooking(fastify.db, request.actor, id, target)
      const message = outcome.status === 'confirmed' ? 'plads' : `venteliste-${outcome.waitlistNumber ?? 0}`
      return await reply.redirect(`/personale/hold/${target}?tilmeldt=${message}#deltagere`, 303)
    } catch (error) {
      if (error instanceof DomainError && error.code in DOMAIN_MESSAGES) return await renderBooking(reply, id, DOMAIN_MESSAGES[error.code].status, DOMAIN_MESSAGES[error.code].message)
      throw error
    }
  })

  fastify.get<{ Params: { id: string } }>('/personale/hold/:id/venteliste', leader, async (request, reply) => {
    const cls = await loadClass(request.params.id)
    if (!cls) return reply.callNotFound()
    const [bookings, calls, offers] = await Promise.all([listActiveBookings(fastify.db, cls.id), listWaitlistCalls(fastify.db, cls.id), listClassOffers(fastify.db, cls.id)])
    const now = new Date()
    const waiting = bookings.filter(b => b.status === 'waitlisted').map((b, i) => {
      // The newest seat offer to this booking (offer mode): its state, and whether staff may answer it.
      const offer = offers.filter(o => o.booking_id === b.id).at(-1)
      return {
        ...b,
        number: i + 1,
        calls: calls.filter(c => c.booking_id === b.id),
        offer: offer ? { id: offer.id, state: describeOffer(offer, now), open: offerStillOpen(offer, now.toISOString()) } : null
      }
    })
    const query = request.query as Record<string, string | undefined>
    return await reply.viewAsync('staff/call-down', {
      title: `Ventelisten – ${cls.courseTitle}`,
      cls,
      waiting,
      message: query.besked && CALL_MESSAGES[query.besked] ? CALL_MESSAGES[query.besked] : undefined,
      csrfToken: reply.generateCsrf()
    })
  })

  fastify.post<{ Params: { id: string } }>('/personale/tilmeldinger/:id/opkald', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    const booking = id === undefined ? undefined : await findBookingById(fastify.db, id)
    if (!booking || id === undefined) return reply.callNotFound()
    const back = `/personale/hold/${booking.class_id}/venteliste`
    if (!fastify.checkCsrf(request)) return await reply.staleForm()
    const outcome = (request.body as Record<string, unknown> | undefined)?.outcome
    if (outcome !== 'accepted' && outcome !== 'declined' && outcome !== 'no_answer') return await reply.redirect(back, 303)
    try {
      await recordWaitlistCall(fastify.db, request.actor, id, outcome)
      return await reply.redirect(`${back}?besked=${outcome}`, 303)
    } catch (error) {
      if (error instanceof DomainError && (error.code === 'class_full' || error.code === 'booking_not_waiting')) return await reply.redirect(`${back}?besked=${error.code}`, 303)
      throw error
    }
  })

  // Staff answer a seat offer for the citizen they have on the phone ("Hun siger ja").
  fastify.post<{ Params: { id: string } }>('/personale/tilbud/:id/svar', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    const offer = id === undefined ? undefined : await findSeatOfferById(fastify.db, id)
    if (!offer) return reply.callNotFound()
    const back = `/personale/hold/${offer.class_id}/venteliste`
    if (!fastify.checkCsrf(request)) return await reply.staleForm()
    const answer = (request.body as Record<string, unknown> | undefined)?.svar
    if (answer !== 'ja' && answer !== 'nej') return await reply.redirect(back, 303)
    const outcome = answer === 'ja'
      ? await acceptOffer(fastify.db, request.actor, offer.token, 'staff')
      : await declineOffer(fastify.db, request.actor, offer.token, 'staff')
    const message = outcome?.result === 'accepted' ? 'tilbud_ja' : outcome?.result === 'declined' ? 'tilbud_nej' : 'tilbud_lukket'
    return await reply.redirect(`${back}?besked=${message}`, 303)
  })

  fastify.post<{ Params: { id: string } }>('/personale/tilmeldinger/:id/note', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    const booking = id === undefined ? undefined : await findBookingById(fastify.db, id)
    if (!booking || id === undefined) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await reply.staleForm()
    const raw = (request.body as Record<string, unknown> | undefined)?.note
    const note = typeof raw === 'string' ? raw.trim().slice(0, 1000) : ''
    await saveStaffNote(fastify.db, request.actor, id, note === '' ? null : note)
    return await reply.redirect(`/personale/hold/${booking.class_id}?gemt=1#deltagere`, 303)
  })

  fastify.get<{ Params: { id: string } }>('/personale/hold/:id/doerliste', leader, async (request, reply) => {
    const cls = await loadClass(request.params.id)
    if (!cls) return reply.callNotFound()
    const bookings = (await listActiveBookings(fastify.db, cls.id)).filter(b => b.status === 'confirmed')
    return await reply.viewAsync('staff/door-list', { title: `Dørliste – ${cls.courseTitle}`, cls, bookings: bookings.map(b => ({ ...b, needs: needsText(b) })) })
  })

  fastify.get<{ Params: { id: string } }>('/personale/hold/:id/deltagere.csv', leader, async (request, reply) => {
    const cls = await loadClass(request.params.id)
    if (!cls) return reply.callNotFound()
    const bookings = await listActiveBookings(fastify.db, cls.id)
    let waiting = 0
    const csv = excelCsv([
      ['Navn', 'Status', 'Venteliste nr.', 'Telefon', 'E-mail', 'Fødselsår', 'Behov', 'Tilmeldt af', 'Kilde', 'Tilmeldt'],
      ...bookings.map(b => [
        b.name,
        b.status === 'confirmed' ? 'Plads' : 'Venteliste',
        b.status === 'waitlisted' ? String(++waiting) : '',
        b.phone ? formatPhone(b.phone) : '',
        b.email ?? '',
        b.birth_year ?? '',
        needsText(b),
        b.booker_name ?? '',
        { online: 'Online', phone: 'Telefon', walkin: 'Fremmødt' }[b.source],
        spreadsheetDateTime(b.created_at)
      ])
    ])
    return await reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="deltagere-hold-${cls.id}.csv"`)
      .header('cache-control', 'no-store')
      .send(csv)
  })
}

export default staffBookingRoutes
