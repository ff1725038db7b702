import { describeOffer } from '../../domain/seat-offer.ts'
import { listClassOffers } from '../../services/offer-service.ts'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { DateTime } from 'luxon'
import { type ClassErrors, type ClassFormValues, type MeetingFormValues, MAX_COPY_WEEKS, readClassForm, readCopyWeeks, shiftWeeks, validateClassForm, withBlankRows } from '../../domain/class-form.ts'
import { DomainError } from '../../domain/errors.ts'
import { DOMAIN_MESSAGES, STALE_FORM } from '../../domain/error-messages.ts'
import { ZONE } from '../../domain/time.ts'
import { countCancelled, listActiveBookings, listCancelledByOrganiser } from '../../repositories/booking-repository.ts'
import { type ClassSummary, findClassRow, findClassSummary } from '../../repositories/class-repository.ts'
import { listCourses } from '../../repositories/course-repository.ts'
import { listAllLocations } from '../../repositories/location-repository.ts'
import { listAllPartners } from '../../repositories/partner-repository.ts'
import { comingCounts } from '../../services/door-view-service.ts'
import { toCard } from '../../services/class-query-service.ts'
import { cancelClass, createClasses, setClassPublic, updateClass } from '../../services/class-service.ts'
import { findBursts } from '../../domain/bursts.ts'
import { clashKeys, clashesConfirmed } from '../../domain/clashes.ts'
import { type PlanClashes, findPlanClashes, findStaffClashesOfClass, getClassPlanContext } from '../../services/planning-service.ts'
import { parseId, queryString } from '../params.ts'
import { listAssigned } from '../../repositories/class-staff-repository.ts'
import { listStaffUsers } from '../../repositories/staff-repository.ts'

const blankMeetings = () => withBlankRows([])

/** A meeting as a row of the form, with its id. */
function toMeetingRow (m: { id: number, starts_at: string, ends_at: string }): MeetingFormValues {
  const start = DateTime.fromISO(m.starts_at, { zone: 'utc' }).setZone(ZONE)
  const end = DateTime.fromISO(m.ends_at, { zone: 'utc' }).setZone(ZONE)
  return { id: String(m.id), date: start.toISODate() ?? '', start: start.toFormat('HH:mm'), end: end.toFormat('HH:mm') }
}

/** A class as form values, for editing or copying. */
function toFormValues (summary: ClassSummary): ClassFormValues {
  return {
    course: summary.courseSlug,
    location: String(summary.locationId),
    partner: summary.partnerId === null ? '' : String(summary.partnerId),
    capacity: String(summary.capacity),
    is_public: summary.isPublic,
    waitlist_mode: summary.waitlistMode,
    offer_hours: String(summary.offerHours),
    confirm_mode: summary.confirmMode,
    confirm_days: String(summary.confirmDays),
    release_hours: summary.releaseHours === null ? '' : String(summary.releaseHours),
    note: summary.note ?? '',
    repeat_weeks: '1',
    meetings: withBlankRows(summary.meetings.map(toMeetingRow)),
    version: String(summary.version),
    capacity_below_seats: false,
    clash_ok: ''
  }
}

/** The receipt of a message to the class (?besked=12-5-2, "-igen" when the same form was sent before). */
function readMessageReceipt (value: string | undefined) {
  const m = /^(\d{1,6})-(\d{1,6})-(\d{1,6})(-igen)?$/.exec(value ?? '')
  return m ? { emails: Number(m[1]), texts: Number(m[2]), calls: Number(m[3]), again: m[4] !== undefined } : null
}

/** Leaders plan classes: create (also weekly for N weeks), edit, publish, cancel, copy. */
const classRoutes: FastifyPluginAsync = async (fastify) => {
  const leader = { config: { role: 'leader' } } as const

  async function formContext (keepLocation?: number, keepPartner?: number | null) {
    const [courses, locations, partners] = await Promise.all([listCourses(fastify.db), listAllLocations(fastify.db), listAllPartners(fastify.db)])
    const usableLocations = locations.filter(l => l.archived_at === null || l.id === keepLocation)
    const usablePartners = partners.filter(p => p.archived_at === null || p.id === keepPartner)
    return { courses, locations: usableLocations, partners: usablePartners }
  }

  async function renderForm (reply: FastifyReply, mode: { id: number | null, askBelowSeats?: boolean, clashes?: PlanClashes, copyWeeks?: number }, values: ClassFormValues, errors: ClassErrors, status = 200, formMessage?: string) {
    const ctx = await formContext(Number(values.location), values.partner === '' ? null : Number(values.partner))
    reply.code(status)
    return await reply.viewAsync('staff/class-form', {
      title: mode.id === null ? 'Nyt hold' : 'Ret hold',
      id: mode.id,
      askBelowSeats: mode.askBelowSeats === true || values.capacity_below_seats,
      clashes: mode.clashes ?? null,
      clashKeys: mode.clashes ? clashKeys([...mode.clashes.room, ...mode.clashes.repeat]) : '',
      copyWeeks: mode.copyWeeks ?? 0,
      values,
      errors,
      formMessage,
      ...ctx,
      csrfToken: reply.generateCsrf()
    })
  }

  /** The plan of a new class (classId null) or of a change, by the same rules as the API's. */
  async function validate (values: ClassFormValues, classId: number | null) {
    return validateClassForm(values, await getClassPlanContext(fastify.db, classId))
  }

  fastify.get('/personale/hold/ny', leader, async (request, reply) => {
    const copyOf = parseId((request.query as Record<string, unknown>).kopi)
    const source = copyOf === undefined ? undefined : await findClassSummary(fastify.db, copyOf)
    // A copy moved N weeks forward keeps its meetings' weekdays and times (a season in one step); 0 leaves them for the leader to write.
    const copyWeeks = source ? readCopyWeeks((request.query as Record<string, unknown>).uger) : 0
    const copiedMeetings = (summary: ClassSummary) => copyWeeks === 0
      ? blankMeetings()
      : withBlankRows(shiftWeeks(summary.meetings.map(m => ({ startsAt: m.starts_at, endsAt: m.ends_at })), copyWeeks).map(m => ({ ...toMeetingRow({ id: 0, starts_at: m.startsAt, ends_at: m.endsAt }), id: '' })))
    const values: ClassFormValues = source
      ? { ...toFormValues(source), meetings: copiedMeetings(source), version: '' }
      : { course: queryString(request.query, 'kursus') ?? '', location: '', partner: '', capacity: '12', is_public: true, waitlist_mode: 'auto', offer_hours: '24', confirm_mode: 'auto', confirm_days: '3', release_hours: '', note: '', repeat_weeks: '1', meetings: blankMeetings(), version: '', capacity_below_seats: false, clash_ok: '' }
    return await renderForm(reply, { id: null, copyWeeks }, values, {})
  })

  fastify.post('/personale/hold/ny', leader, async (request, reply) => {
    const values = readClassForm(request.body)
    if (!fastify.checkCsrf(request)) return await renderForm(reply, { id: null }, values, {}, 403, STALE_FORM.message)
    const result = await validate(values, null)
    if (!result.ok) return await renderForm(reply, { id: null }, values, result.errors, 400)
    const clashes = await findPlanClashes(fastify.db, result.input, null)
    if (!clashesConfirmed([...clashes.room, ...clashes.repeat], values.clash_ok)) return await renderForm(reply, { id: null, clashes }, values, {}, 409)
    const ids = await createClasses(fastify.db, request.actor, result.input)
    return await reply.redirect(`/personale/hold/${ids[0]}?oprettet=${ids.length}`, 303)
  })

  fastify.get<{ Params: { id: string } }>('/personale/hold/:id', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    const summary = id === undefined ? undefined : await findClassSummary(fastify.db, id)
    if (!summary || id === undefined) return reply.callNotFound()
    // A cancelled class keeps its participants on show: the leader phones those without e-mail.
    const bookings = summary.cancelledAt === null ? await listActiveBookings(fastify.db, id) : await listCancelledByOrganiser(fastify.db, id)
    const cancelledCount = await countCancelled(fastify.db, id)
    const [assigned, staffUsers] = await Promise.all([listAssigned(fastify.db, [id]), listStaffUsers(fastify.db)])
    const assignable = staffUsers.filter(u => u.active === 1 && !assigned.some(a => a.staffUserId === u.id))
    // Someone in two places at once: a warning, never a refusal (a helper may pop in on two classes).
    const staffClashes = summary.cancelledAt !== null
      ? []
      : await findStaffClashesOfClass(fastify.db, id, summary.meetings.map(m => ({ startsAt: m.starts_at, endsAt: m.ends_at })), [...assigned.map(a => a.staffUserId), ...assignable.map(u => u.id)])
    const query = request.query as Record<string, string | undefined>
    let waiting = 0
    const byId = new Map(bookings.map(b => [b.id, b]))
    const bursts = summary.cancelledAt !== null
      ? []
      : findBursts(bookings.filter(b => b.source === 'online').map(b => ({ id: b.id, sourceKey: b.source_key, createdAt: b.created_at })))
        .map(burst => ({ ...burst, bookings: burst.bookingIds.map(bid => byId.get(bid)!) }))
    // Each booking's newest seat offer, as staff read it (offer mode).
    const offerStates = new Map((await listClassOffers(fastify.db, id)).map(o => [o.booking_id, describeOffer(o, new Date())]))
    return await reply.viewAsync('staff/class', {
      title: summary.courseTitle,
      cls: toCard(summary, new Date()),
      bookings: bookings.map(b => ({ ...b, waitlistNumber: b.status === 'waitlisted' ? ++waiting : null, offerState: offerStates.get(b.id) ?? null })),
      cancelledCount,
      coming: summary.cancelledAt === null ? await comingCounts(fastify.db, id, bookings.filter(b => b.status === 'confirmed')) : null,
      withoutEmail: summary.cancelledAt === null ? 0 : bookings.filter(b => b.email === null && b.booker_email === null).length,
      assigned,
      assignable: assignable.map(u => ({ ...u, busy: staffClashes.some(c => c.staffUserId === u.id) })),
      staffClashes: assigned.flatMap(a => staffClashes.filter(c => c.staffUserId === a.staffUserId).map(c => ({ ...c, name: a.name }))),
      created: Number(query.oprettet ?? 0),
      saved: query.gemt === '1',
      promoted: Number(query.rykket ?? 0),
      booked: /^(fandtes|plads|venteliste-\d+)$/.test(query.tilmeldt ?? '') ? query.tilmeldt : null,
      cancelledOne: query.afmeldt === '1',
      cancelledMany: /^\d+$/.test(query['afmeldt-flere'] ?? '') ? Number(query['afmeldt-flere']) : null,
      messageSent: readMessageReceipt(query.besked),
      bursts,
      maxCopyWeeks: MAX_COPY_WEEKS,
      csrfToken: reply.generateCsrf()
    })
  })

  fastify.get<{ Params: { id: string } }>('/personale/hold/:id/ret', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    const summary = id === undefined ? undefined : await findClassSummary(fastify.db, id)
    if (!summary || id === undefined) return reply.callNotFound()
    return await renderForm(reply, { id }, toFormValues(summary), {})
  })

  fastify.post<{ Params: { id: string } }>('/personale/hold/:id/ret', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined || !await findClassRow(fastify.db, id)) return reply.callNotFound()
    const values = readClassForm(request.body)
    if (!fastify.checkCsrf(request)) return await renderForm(reply, { id }, values, {}, 403, STALE_FORM.message)
    const result = await validate(values, id)
    if (!result.ok) return await renderForm(reply, { id }, values, result.errors, 400)
    const clashes = await findPlanClashes(fastify.db, result.input, id)
    if (!clashesConfirmed(clashes.room, values.clash_ok)) return await renderForm(reply, { id, clashes }, values, {}, 409)
    try {
      const { promoted } = await updateClass(fastify.db, request.actor, id, result.input, {
        // A form without a version (opened before versions existed, or forged) is as stale as an old one.
        expectedVersion: parseId(values.version) ?? 0,
        allowCapacityBelowSeatsTaken: values.capacity_below_seats
      })
      return await reply.redirect(`/personale/hold/${id}?gemt=1&rykket=${promoted.length}`, 303)
    } catch (error) {
      if (!(error instanceof DomainError)) throw error
      return await renderRefusedEdit(reply, id, values, error)
    }
  })

  /** Why a valid edit was refused, next to what it was about; the class as it is now if it changed. */
  async function renderRefusedEdit (reply: FastifyReply, id: number, values: ClassFormValues, error: DomainError) {
    const summary = await findClassSummary(fastify.db, id)
    if (!summary) return reply.callNotFound()
    const rowOf = (meetingId: number) => values.meetings.findIndex(m => m.id === String(meetingId)) + 1
    switch (error.code) {
      case 'class_changed':
        return await renderForm(reply, { id }, toFormValues(summary), {}, 409,
          'Holdet er ændret, siden du åbnede siden, så din ændring er ikke gemt. Her er holdet, som det er nu. Ret det igen, og tryk på »Gem ændringer«.')
      case 'meeting_has_attendance': {
        // The removed meeting goes back into its row, so saving again keeps it.
        const errors: ClassErrors = {}
        const meetings = [...values.meetings]
        for (const meetingId of error.details.meetingIds ?? []) {
          const row = rowOf(meetingId)
          const meeting = summary.meetings.find(m => m.id === meetingId)
          if (row === 0 || !meeting) continue
          meetings[row - 1] = toMeetingRow(meeting)
          errors[`meeting_${row}`] = `Mødegang ${row}: der er registreret fremmøde, så den kan ikke fjernes. Den er sat ind igen. Ret fremmødet først, hvis mødegangen ikke blev holdt.`
        }
        return await renderForm(reply, { id }, { ...values, meetings }, errors, 409, Object.keys(errors).length === 0 ? DOMAIN_MESSAGES[error.code].message : undefined)
      }
      case 'meeting_not_on_class': {
        const errors: ClassErrors = {}
        for (const meetingId of error.details.meetingIds ?? []) {
          const row = rowOf(meetingId)
          if (row > 0) errors[`meeting_${row}`] = `Mødegang ${row}: mødegangen hører ikke til holdet. Genindlæs siden, og prøv igen.`
        }
        return await renderForm(reply, { id }, values, errors, 409, DOMAIN_MESSAGES[error.code].message)
      }
      case 'capacity_below_seats_taken': {
        const taken = error.details.seatsTaken ?? summary.confirmedCount
        return await renderForm(reply, { id, askBelowSeats: true }, values, {
          capacity: `${taken} har allerede en plads. Skriv mindst ${taken} pladser, eller sæt kryds nedenfor for at sætte pladserne ned alligevel.`
        }, 409)
      }
      default: {
        const m = DOMAIN_MESSAGES[error.code]
        return await renderForm(reply, { id }, values, {}, m.status, m.message)
      }
    }
  }

  fastify.post<{ Params: { id: string } }>('/personale/hold/:id/synlighed', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined || !await findClassRow(fastify.db, id)) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await reply.code(403).viewAsync('errors/error', { title: 'Ikke gemt', message: STALE_FORM.message, status: 403 })
    await setClassPublic(fastify.db, request.actor, id, (request.body as Record<string, unknown> | undefined)?.public === '1')
    return await reply.redirect(`/personale/hold/${id}?gemt=1`, 303)
  })

  fastify.get<{ Params: { id: string } }>('/personale/hold/:id/aflys', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    const summary = id === undefined ? undefined : await findClassSummary(fastify.db, id)
    if (!summary) return reply.callNotFound()
    return await reply.viewAsync('staff/class-cancel', { title: 'Aflys hold', cls: toCard(summary, new Date()), csrfToken: reply.generateCsrf() })
  })

  fastify.post<{ Params: { id: string } }>('/personale/hold/:id/aflys', leader, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined || !await findClassRow(fastify.db, id)) return reply.callNotFound()
    if (!fastify.checkCsrf(request)) return await reply.code(403).viewAsync('errors/error', { title: 'Ikke aflyst', message: STALE_FORM.message, status: 403 })
    if ((request.body as Record<string, unknown> | undefined)?.bekraeft !== 'ja') {
      // Only the button on the page that asks cancels the class.
      const summary = await findClassSummary(fastify.db, id)
      if (!summary) return reply.callNotFound()
      return await reply.viewAsync('staff/class-cancel', { title: 'Aflys hold', cls: toCard(summary, new Date()), csrfToken: reply.generateCsrf() })
    }
    await cancelClass(fastify.db, request.actor, id)
    return await reply.redirect(`/personale/hold/${id}?gemt=1`, 303)
  })
}

export default classRoutes
