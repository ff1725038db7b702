import QRCode from 'qrcode'
import { CITIZEN } from '../../domain/actor.ts'
import { formatCheckinCode } from '../../domain/checkin-code.ts'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { BOOKING_FIELD_ORDER, type BookingFormErrors, type BookingFormValues, EMPTY_BOOKING_FORM, readBookingForm, validateBookingForm } from '../../domain/booking-form.ts'
import { DomainError } from '../../domain/errors.ts'
import { DOMAIN_MESSAGES, STALE_FORM } from '../../domain/error-messages.ts'
import { addressKeyer } from '../../domain/address-key.ts'
import { type BookingLimits, bookSeat, cancelBooking, changeSmsConsent, getBookingPage } from '../../services/booking-service.ts'
import { buildCalendar, seatGivenAt } from '../../domain/calendar.ts'
import { type ClassPage, getClassPage, toClassPage } from '../../services/class-query-service.ts'
import { type ComingOutcome, answerComing } from '../../services/coming-service.ts'
import { isTokenShaped, parseId } from '../params.ts'
import { offerStillOpen } from '../../domain/seat-offer.ts'
import { findNewestOffer } from '../../services/offer-service.ts'

const COMING_ANSWERS: readonly ComingOutcome[] = ['yes', 'no', 'already_cancelled', 'started', 'not_asked']

interface FormState {
  values: BookingFormValues
  errors: BookingFormErrors
  /** A message about the whole form, not one field. */
  formMessage?: string
}

const bookingRoutes: FastifyPluginAsync = async (fastify) => {
  function classView (page: ClassPage, state: FormState) {
    const errorList = BOOKING_FIELD_ORDER.flatMap(field => state.errors[field] ? [{ field, message: state.errors[field] }] : [])
    return {
      title: errorList.length > 0 ? `Fejl i tilmeldingen – ${page.course.title}` : page.course.title,
      ...page,
      form: state.values,
      errors: state.errors,
      errorList,
      formMessage: state.formMessage
    }
  }

  async function renderClass (reply: FastifyReply, page: ClassPage, state: FormState, status = 200) {
    reply.code(status).header('cache-control', 'private, no-cache')
    return await reply.viewAsync('public/class', { ...classView(page, state), csrfToken: reply.generateCsrf() })
  }

  fastify.get<{ Params: { id: string } }>('/hold/:id', async (request, reply) => {
    const id = parseId(request.params.id)
    // Kept until the next change, as the catalogue is: many read it, few book.
    const data = id === undefined ? undefined : await fastify.readCache.classPages.get(id)
    if (!data) return reply.callNotFound()
    // The page with an empty form is the same for every citizen but the token, until the
    // class changes (a new value in the read cache) or the clock closes the booking.
    const page = toClassPage(data)
    reply.header('cache-control', 'private, no-cache')
    return await reply.viewKept('public/class', { ...classView(page, { values: EMPTY_BOOKING_FORM, errors: {} }), csrfToken: true },
      { value: data, path: `/hold/${id}`, variant: `${page.cls.bookable}/${page.cls.ended}` })
  })

  const limits: BookingLimits = {
    perAddress: fastify.config.bookingRateLimit,
    perAddressPerClass: fastify.config.bookingLimitPerClass,
    perBookerPerClass: fastify.config.bookingLimitPerBooker,
    windowMinutes: fastify.config.bookingLimitWindowMinutes
  }
  const keyOf = addressKeyer(fastify.config.sessionKey)

  // Only accepted bookings count toward the booking limits (in bookSeat). This guard only
  // stops a flood of posts, far above what a library's shared address ever sends.
  fastify.post<{ Params: { id: string } }>('/hold/:id/tilmeld', {
    config: { rateLimit: { max: Math.max(600, fastify.config.bookingRateLimit * 20), timeWindow: '10 minutes' } }
  }, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return reply.callNotFound()
    // The class page, kept for readers, is only needed to show the form again with a
    // message; a booking that goes through never reads it. Whether a seat is taken is
    // decided on the locked class, by bookSeat.
    const pageNow = async () => {
      const data = await fastify.readCache.classPages.get(id)
      return data && toClassPage(data)
    }
    const values = readBookingForm(request.body)
    const refuse = async (status: number, state: { errors?: BookingFormErrors, formMessage?: string }) => {
      const page = await pageNow()
      if (!page) return reply.callNotFound()
      // A closed class says so, before anything about the form.
      if (status !== 403 && !page.cls.bookable) {
        const code = page.cls.cancelledAt !== null ? 'class_cancelled' : 'class_started'
        return await renderClass(reply, page, { values, errors: {}, formMessage: DOMAIN_MESSAGES[code].message }, 409)
      }
      return await renderClass(reply, page, { values, errors: state.errors ?? {}, ...(state.formMessage ? { formMessage: state.formMessage } : {}) }, status)
    }

    if (!fastify.checkCsrf(request)) return await refuse(403, { formMessage: STALE_FORM.message })
    const body = request.body as Record<string, unknown> | undefined
    if (typeof body?.website === 'string' && body.website !== '') {
      request.log.info('booking rejected by honeypot')
      return await refuse(400, { formMessage: 'Vi kunne ikke gemme tilmeldingen. Tjek dine oplysninger, og tryk på knappen igen.' })
    }
    const result = validateBookingForm(values)
    if (!result.ok) return await refuse(400, { errors: result.errors })

    try {
      // The public form is the citizen's, also in a browser where staff are signed in (a library PC).
      const outcome = await bookSeat(fastify.db, CITIZEN, id, result.input, { source: 'online', sourceKey: keyOf(request.ip), limits })
      if (!outcome.created) {
        // Never the existing booking's link or details: its link went to its own contacts.
        request.log.info({ classId: id, created: false, linkResent: outcome.linkResent }, 'booking')
        const page = await pageNow()
        if (!page) return reply.callNotFound()
        reply.header('cache-control', 'no-store')
        return await reply.viewAsync('public/already-booked', { title: 'Du er allerede tilmeldt', ...page })
      }
      request.log.info({ classId: id, status: outcome.status, created: true }, 'booking')
      return await reply.redirect(`/tilmelding/${outcome.token}?ny=1`, 303)
    } catch (error) {
      if (error instanceof DomainError && (error.code === 'class_not_found' || error.code === 'class_not_public')) return reply.callNotFound()
      if (error instanceof DomainError && error.code.startsWith('booking_limit_')) {
        request.log.info({ classId: id, code: error.code }, 'booking refused by limit')
        return await refuse(429, { formMessage: DOMAIN_MESSAGES[error.code].message })
      }
      if (error instanceof DomainError && error.code in DOMAIN_MESSAGES) {
        const fresh = await getClassPage(fastify.db, id)
        if (fresh) return await renderClass(reply, fresh, { values, errors: {}, formMessage: DOMAIN_MESSAGES[error.code].message }, 409)
        // A class that is not public (or no longer there) has no page to show.
        return reply.callNotFound()
      }
      throw error
    }
  })

  async function loadBooking (token: string) {
    return isTokenShaped(token) ? await getBookingPage(fastify.db, token) : undefined
  }

  function privateHeaders (reply: FastifyReply) {
    reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex, nofollow')
  }

  type BookingData = NonNullable<Awaited<ReturnType<typeof loadBooking>>>

  /** The private booking page; `sms` is what became of a change to the texts (a message for the citizen). */
  async function renderBooking (reply: FastifyReply, data: BookingData, opts: { justBooked?: boolean, justCancelled?: boolean, sms?: { saved?: boolean, formMessage?: string }, coming?: { answered?: ComingOutcome, formMessage?: string } } = {}, status = 200) {
    const moved = data.movedTo !== null
    // The organiser cancelled the whole class: the citizen did nothing, and the page says so.
    const classCancelled = !moved && data.booking.status === 'cancelled' && data.booking.cancelled_by === 'organiser'
    // Texts can be turned on or off while the booking is active and its class not over.
    const smsChangeable = data.booking.status !== 'cancelled' && !data.cls.ended && data.smsNumbers.some(n => n.reach !== 'landline')
    // "Kommer du?": open while the question was asked, not answered, the seat kept and the class not begun.
    const comingOpen = data.booking.status === 'confirmed' && data.booking.coming_asked_at !== null && data.booking.coming === null && data.cls.firstStartsAt !== null && data.cls.firstStartsAt > new Date().toISOString()
    // A seat offered to this booking and not yet answered: the page links to its answer page.
    const offer = data.booking.status === 'waitlisted' ? await findNewestOffer(fastify.db, data.booking.id) : undefined
    const openOffer = offer && offerStillOpen(offer, new Date().toISOString()) ? offer : null
    return await reply.code(status).viewAsync('public/booking', {
      openOffer,
      title: moved ? 'Din tilmelding er flyttet' : classCancelled ? 'Holdet er aflyst' : data.booking.status === 'cancelled' ? 'Din tilmelding er afmeldt' : data.booking.status === 'confirmed' ? 'Du har en plads' : 'Du er på ventelisten',
      ...data,
      classCancelled,
      justBooked: opts.justBooked === true,
      justCancelled: opts.justCancelled === true && data.booking.status === 'cancelled' && !moved,
      smsChangeable,
      smsSaved: opts.sms?.saved === true,
      smsFormMessage: opts.sms?.formMessage,
      comingOpen,
      comingAnswered: opts.coming?.answered,
      comingFormMessage: opts.coming?.formMessage,
      csrfToken: smsChangeable || comingOpen ? reply.generateCsrf() : undefined,
      pageUrl: `${fastify.config.publicUrl}/tilmelding/${data.booking.token}`,
      doorCode: formatCheckinCode(data.booking.checkin_code),
      doorQr: data.booking.status === 'confirmed' ? await QRCode.toString(data.booking.checkin_code, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' }) : null
    })
  }

  fastify.get<{ Params: { token: string } }>('/tilmelding/:token', async (request, reply) => {
    const data = await loadBooking(request.params.token)
    if (!data) return reply.callNotFound()
    privateHeaders(reply)
    const query = request.query as Record<string, string | undefined>
    const answered = COMING_ANSWERS.find(a => a === query.kommer)
    return await renderBooking(reply, data, { justBooked: query.ny === '1', justCancelled: query.afmeldt === '1', sms: { saved: query.sms === 'gemt' }, coming: { answered } })
  })

  // The answer to "Kommer du?". As for texts, the token in the address is the only key.
  fastify.post<{ Params: { token: string } }>('/tilmelding/:token/kommer', async (request, reply) => {
    const data = await loadBooking(request.params.token)
    if (!data) return reply.callNotFound()
    privateHeaders(reply)
    if (!fastify.checkCsrf(request)) return await renderBooking(reply, data, { coming: { formMessage: STALE_FORM.message } }, 403)
    const answer = (request.body as Record<string, unknown> | undefined)?.svar
    if (answer !== 'ja' && answer !== 'nej') return await reply.redirect(`/tilmelding/${data.booking.token}#kommer`, 303)
    const outcome = await answerComing(fastify.db, CITIZEN, data.booking.token, answer === 'ja' ? 'yes' : 'no', 'page')
    request.log.info({ classId: data.booking.class_id, outcome }, 'coming answered')
    return await reply.redirect(`/tilmelding/${data.booking.token}?kommer=${outcome}#kommer`, 303)
  })

  // Yes or no to texts about this booking. The private link is the key: the booking is
  // found by the token in the address alone, never by anything in the form.
  fastify.post<{ Params: { token: string } }>('/tilmelding/:token/sms', async (request, reply) => {
    const data = await loadBooking(request.params.token)
    if (!data) return reply.callNotFound()
    privateHeaders(reply)
    if (!fastify.checkCsrf(request)) return await renderBooking(reply, data, { sms: { formMessage: STALE_FORM.message } }, 403)
    const answer = (request.body as Record<string, unknown> | undefined)?.sms_consent
    if (answer !== 'ja' && answer !== 'nej') return await reply.redirect(`/tilmelding/${data.booking.token}#sms`, 303)
    try {
      const changed = await changeSmsConsent(fastify.db, CITIZEN, data.booking.token, answer === 'ja')
      request.log.info({ classId: data.booking.class_id, smsConsent: answer === 'ja', changed }, 'sms consent')
    } catch (error) {
      // Cancelled, moved or over meanwhile: the page says what became of the booking.
      if (error instanceof DomainError && ['booking_moved', 'booking_already_cancelled', 'class_ended'].includes(error.code)) {
        return await reply.redirect(`/tilmelding/${data.booking.token}`, 303)
      }
      throw error
    }
    return await reply.redirect(`/tilmelding/${data.booking.token}?sms=gemt#sms`, 303)
  })

  fastify.get<{ Params: { token: string } }>('/tilmelding/:token/kalender.ics', async (request, reply) => {
    const data = await loadBooking(request.params.token)
    if (!data || data.booking.status === 'cancelled') return reply.callNotFound()
    privateHeaders(reply)
    const ics = buildCalendar([data.cls], {
      name: data.course.title,
      publicUrl: fastify.config.publicUrl,
      booking: {
        id: data.booking.id,
        url: `${fastify.config.publicUrl}/tilmelding/${data.booking.token}`,
        waitlisted: data.booking.status === 'waitlisted',
        seatGivenAt: seatGivenAt(data.booking)
      }
    })
    return await reply
      .type('text/calendar; charset=utf-8')
      .header('content-disposition', `attachment; filename="${data.course.slug}.ics"`)
      .send(ics)
  })

  fastify.get<{ Params: { token: string } }>('/tilmelding/:token/afmeld', async (request, reply) => {
    const data = await loadBooking(request.params.token)
    if (!data) return reply.callNotFound()
    privateHeaders(reply)
    if (data.booking.status === 'cancelled') return await reply.redirect(`/tilmelding/${data.booking.token}`, 303)
    if (data.cls.ended) return await renderEnded(reply, data)
    return await reply.viewAsync('public/cancel', { title: 'Vil du afmelde dig?', ...data, csrfToken: reply.generateCsrf() })
  })

  /** The class is over: nothing to cancel, and the past's figures stay as they are. */
  async function renderEnded (reply: FastifyReply, data: BookingData) {
    const m = DOMAIN_MESSAGES.class_ended
    return await reply.code(m.status).viewAsync('public/cancel', { title: m.title, ...data, ended: m })
  }

  fastify.post<{ Params: { token: string } }>('/tilmelding/:token/afmeld', async (request, reply) => {
    const data = await loadBooking(request.params.token)
    if (!data) return reply.callNotFound()
    privateHeaders(reply)
    if (!fastify.checkCsrf(request)) {
      return await reply.code(403).viewAsync('public/cancel', {
        title: 'Vil du afmelde dig?',
        ...data,
        csrfToken: reply.generateCsrf(),
        formMessage: STALE_FORM.message
      })
    }
    try {
      const outcome = await cancelBooking(fastify.db, CITIZEN, data.booking.token, 'participant')
      request.log.info({ classId: data.booking.class_id, promoted: outcome.promoted.length }, 'booking cancelled')
    } catch (error) {
      if (!(error instanceof DomainError)) throw error
      // Staff moved the booking meanwhile: the booking page says where it went, never "afmeldt".
      if (error.code === 'booking_moved') return await reply.redirect(`/tilmelding/${data.booking.token}`, 303)
      if (error.code === 'class_ended') return await renderEnded(reply, data)
      if (error.code !== 'booking_already_cancelled') throw error
    }
    return await reply.redirect(`/tilmelding/${data.booking.token}?afmeldt=1`, 303)
  })
}

export default bookingRoutes
