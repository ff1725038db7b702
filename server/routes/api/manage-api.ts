import { type Static, Type } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import { DateTime } from 'luxon'
import { type BookingFormValues, EMPTY_BOOKING_FORM, validateBookingForm } from '../../domain/booking-form.ts'
import { type ClassInput, type ClassPlanField, checkClassPlan } from '../../domain/class-form.ts'
import { DomainError } from '../../domain/errors.ts'
import { DOMAIN_MESSAGES } from '../../domain/error-messages.ts'
import { toOffsetIso } from '../../domain/time.ts'
import { errorAnswer } from '../../plugins/openapi.ts'
import { listActiveBookings } from '../../repositories/booking-repository.ts'
import { findClassRow, findClassSummary } from '../../repositories/class-repository.ts'
import { bookSeat } from '../../services/booking-service.ts'
import { cancelClass, createClasses, updateClass } from '../../services/class-service.ts'
import { findPlanClashes, getClassPlanContext } from '../../services/planning-service.ts'
import { parseId } from '../params.ts'
import { BadId, apiError } from './api-errors.ts'

// Ids are 32-bit integers in the database (PostgreSQL refuses larger numbers for them);
// a larger id in a path is read as 0, which no class has.
const MAX_ID = 2147483647
const Meeting = Type.Object({
  id: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ID, description: 'An existing meeting of the class (from GET); without it a meeting starting at the same moment as an existing one is that one, and the rest are new.' })),
  start: Type.String({ format: 'date-time' }),
  end: Type.String({ format: 'date-time' })
}, { additionalProperties: false })
const IdParams = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,9}$' }) })

const CreateClassBody = Type.Object({
  courseSlug: Type.String({ minLength: 1, maxLength: 100 }),
  locationId: Type.Integer({ minimum: 1, maximum: MAX_ID }),
  partnerId: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: MAX_ID }), Type.Null()])),
  capacity: Type.Integer({ minimum: 1, maximum: 500 }),
  public: Type.Optional(Type.Boolean()),
  waitlistMode: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('call'), Type.Literal('offer')], { description: 'auto: a freed seat goes to the first in line; call: staff phone the waiting list; offer: the first in line is offered the seat with a deadline' })),
  note: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
  meetings: Type.Array(Meeting, { minItems: 1, maxItems: 20 }),
  allowRoomClash: Type.Optional(Type.Boolean({ description: 'Plan the class although its room is taken by another class at the same time (as the staff form\'s "Ja, opret alligevel"). Without it, 409 room_clash naming the other classes in `details`.' }))
}, { additionalProperties: false })
const UpdateClassBody = Type.Composite([
  Type.Partial(CreateClassBody),
  Type.Object({
    version: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ID, description: 'The version the change was made from (from GET); a class changed since is refused with 409 class_changed. Without it, no check.' })),
    allowCapacityBelowSeatsTaken: Type.Optional(Type.Boolean({ description: 'Allow fewer seats than seatsTaken. Nobody loses a seat; booking closes until enough have left. Without it, 409 capacity_below_seats_taken.' }))
  })
], { additionalProperties: false })

const CreateBookingBody = Type.Object({
  name: Type.String({ maxLength: 200 }),
  phone: Type.Optional(Type.String({ maxLength: 30 })),
  email: Type.Optional(Type.String({ maxLength: 254 })),
  birthYear: Type.Optional(Type.Integer({ minimum: 1900, maximum: 2100 })),
  needsCompanion: Type.Optional(Type.Boolean()),
  needsHearingLoop: Type.Optional(Type.Boolean()),
  needsOther: Type.Optional(Type.String({ maxLength: 500 })),
  bookedBy: Type.Optional(Type.Object({ name: Type.String({ maxLength: 200 }), phone: Type.Optional(Type.String({ maxLength: 30 })), email: Type.Optional(Type.String({ maxLength: 254 })) }, { additionalProperties: false })),
  smsConsent: Type.Optional(Type.Boolean({ description: 'The person said yes to text messages (SMS) about this booking, at the mobile numbers given (the participant\'s and the booker\'s). Ask them; never assume it. Without it, no. True without any phone number is a 422 (`sms_consent` in `details`).' }))
}, { additionalProperties: false })

const ManagedClass = Type.Object({
  id: Type.Integer(),
  courseSlug: Type.String(),
  locationId: Type.Integer(),
  partnerId: Type.Union([Type.Integer(), Type.Null()]),
  capacity: Type.Integer(),
  public: Type.Boolean(),
  waitlistMode: Type.String(),
  cancelled: Type.Boolean(),
  note: Type.Union([Type.String(), Type.Null()]),
  meetings: Type.Array(Type.Object({ id: Type.Integer(), start: Type.String(), end: Type.String() })),
  seatsTaken: Type.Integer(),
  waitlistLength: Type.Integer(),
  version: Type.Integer({ description: 'Bumped by every change of the class or its meetings.' })
})

const NOT_FOUND = errorAnswer('No class has this id (`class_not_found`).')
/** The staff form's field names in the API's words; one meeting is meetings[i], its place in the request. */
const API_FIELDS: Record<ClassPlanField, string> = { course: 'courseSlug', location: 'locationId', partner: 'partnerId', capacity: 'capacity', note: 'note', meetings: 'meetings' }
const INVALID_CLASS = {
  ...Type.Object({
    error: Type.Object({
      status: Type.Integer(),
      code: Type.String({ enum: ['invalid_class'] }),
      field: Type.String({ description: 'The field the rule is about: `courseSlug`, `locationId`, `partnerId`, `capacity`, `note`, `meetings` (none, too many, or two overlapping), or one meeting as `meetings[i]`, its place in the request.' }),
      message: Type.String({ description: 'In Danish, starting with the field.' })
    })
  }),
  description: 'The plan breaks a rule the staff form keeps too (`invalid_class`, the field in `field`): the course is not in the catalogue; the place or partner does not exist or is archived (a class keeps one archived since it was planned); a meeting ends before it starts or, on a new class, has begun; two meetings overlap.'
}

const Person = Type.Union([Type.String(), Type.Null()])
const BookingList = Type.Object({
  bookings: Type.Array(Type.Object({
    id: Type.Integer(),
    status: Type.Union([Type.Literal('confirmed'), Type.Literal('waitlisted')]),
    waitlistNumber: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'Place on the waiting list (1 is next); null for a confirmed seat.' }),
    name: Type.String({ description: 'Personal data: the name of the person booked.' }),
    phone: Type.Union([Type.String(), Type.Null()], { description: 'Personal data: phone number as given.' }),
    email: Type.Union([Type.String(), Type.Null()], { description: 'Personal data: e-mail address as given.' }),
    birthYear: Type.Union([Type.Integer(), Type.Null()], { description: 'Personal data: year of birth, if given.' }),
    needs: Type.Object({
      companion: Type.Boolean({ description: 'Comes with a companion (seat for a helper).' }),
      hearingLoop: Type.Boolean(),
      other: Type.Union([Type.String(), Type.Null()], { description: 'Personal data, possibly about health: other needs in the person\'s own words.' })
    }),
    bookedBy: Type.Union([Type.Object({ name: Type.String(), phone: Person, email: Person }), Type.Null()], { description: 'Personal data: who made the booking for the person, if someone else did.' }),
    source: Type.String({ description: 'Where the booking was made, e.g. online, staff, waitlist_call.' }),
    smsConsent: Type.Boolean({ description: 'Said yes to text messages (SMS) about this booking.' }),
    createdAt: Type.String({ format: 'date-time' })
  }))
}, { description: 'Personal data of the people booked: keep it only as long as the class needs it, and show it only to staff.' })

/**
 * Token-protected API for library websites and CMSs: manage classes and bookings. Each
 * route declares its scope; the API area's hook checks the token before anything else.
 */
const manageApi: FastifyPluginAsync = async (fastify) => {
  // A library website books through the API from its own server's address, so only the
  // per-booker limit applies; the address limits are for the public form.
  const apiLimits = {
    perAddress: Number.MAX_SAFE_INTEGER,
    perAddressPerClass: Number.MAX_SAFE_INTEGER,
    perBookerPerClass: fastify.config.bookingLimitPerBooker,
    windowMinutes: fastify.config.bookingLimitWindowMinutes
  }
  async function managedClass (id: number) {
    const summary = await findClassSummary(fastify.db, id)
    if (!summary) return undefined
    return {
      id: summary.id,
      courseSlug: summary.courseSlug,
      locationId: summary.locationId,
      partnerId: summary.partnerId,
      capacity: summary.capacity,
      public: summary.isPublic,
      waitlistMode: summary.waitlistMode,
      cancelled: summary.cancelledAt !== null,
      note: summary.note,
      meetings: summary.meetings.map(m => ({ id: m.id, start: toOffsetIso(m.starts_at), end: toOffsetIso(m.ends_at) })),
      seatsTaken: summary.confirmedCount,
      waitlistLength: summary.waitlistCount,
      version: summary.version
    }
  }

  /** The rules the schema cannot check, the staff form's own (`classId`: the class changed, null for a new one). */
  async function checkClass (body: Static<typeof CreateClassBody>, classId: number | null): Promise<{ field: string, message: string } | undefined> {
    const problem = checkClassPlan(toPlan(body), await getClassPlanContext(fastify.db, classId))[0]
    if (!problem) return undefined
    const field = problem.meeting === undefined ? API_FIELDS[problem.field] : `meetings[${problem.meeting}]`
    return { field, message: `${field}: ${problem.message}` }
  }

  /** The same room rule as the staff form: another class in the room at the same time is refused unless allowed. */
  async function roomClash (input: Omit<ClassInput, 'repeatWeeks'>, classId: number | null, allowed: boolean): Promise<{ message: string, details: unknown } | null> {
    if (allowed) return null
    const { room } = await findPlanClashes(fastify.db, { ...input, repeatWeeks: 1 }, classId)
    if (room.length === 0) return null
    return {
      message: 'Lokalet er optaget af et andet hold på samme tid. Vælg en anden tid eller et andet sted, eller send allowRoomClash: true for at planlægge alligevel.',
      details: room.map(c => ({ classId: c.other.classId, course: c.other.courseTitle, start: toOffsetIso(c.other.startsAt), end: toOffsetIso(c.other.endsAt) }))
    }
  }

  /** The body as a plan, meetings in the request's order (so a problem can name meetings[i]). */
  const toPlan = (body: Static<typeof CreateClassBody>): Omit<ClassInput, 'repeatWeeks'> => ({
    courseSlug: body.courseSlug,
    locationId: body.locationId,
    partnerId: body.partnerId ?? null,
    capacity: body.capacity,
    isPublic: body.public ?? true,
    waitlistMode: body.waitlistMode ?? 'auto',
    note: body.note ?? null,
    meetings: body.meetings.map(m => ({ ...(m.id === undefined ? {} : { id: m.id }), startsAt: DateTime.fromISO(m.start).toUTC().toISO() ?? m.start, endsAt: DateTime.fromISO(m.end).toUTC().toISO() ?? m.end }))
  })
  const toInput = (body: Static<typeof CreateClassBody>): Omit<ClassInput, 'repeatWeeks'> => {
    const plan = toPlan(body)
    return { ...plan, meetings: [...plan.meetings].sort((a, b) => a.startsAt.localeCompare(b.startsAt)) }
  }

  fastify.post<{ Body: Static<typeof CreateClassBody> }>('/api/v1/classes', {
    config: { scope: 'classes:write' },
    schema: { tags: ['classes'], operationId: 'createClass', summary: 'Create a class', body: CreateClassBody, response: { 201: ManagedClass, 400: BadId, 409: errorAnswer('The room is taken by another class at the same time (`room_clash`, the other classes in `details`); send `allowRoomClash: true` to plan it anyway.'), 422: INVALID_CLASS } }
  }, async (request, reply) => {
    const problem = await checkClass(request.body, null)
    if (problem) return await apiError(reply, 422, 'invalid_class', problem.message, undefined, { field: problem.field })
    const clash = await roomClash(toInput(request.body), null, request.body.allowRoomClash === true)
    if (clash) return await apiError(reply, 409, 'room_clash', clash.message, clash.details)
    const [id] = await createClasses(fastify.db, request.actor, { ...toInput(request.body), repeatWeeks: 1 })
    return await reply.code(201).send(await managedClass(id ?? 0))
  })

  fastify.get<{ Params: Static<typeof IdParams> }>('/api/v1/classes/:id', {
    config: { scope: 'classes:read' },
    schema: { tags: ['classes'], operationId: 'getClass', summary: 'One class, public or internal', params: IdParams, response: { 200: ManagedClass, 400: BadId, 404: NOT_FOUND } }
  }, async (request, reply) => {
    const cls = await managedClass((parseId(request.params.id) ?? 0))
    return cls ?? await apiError(reply, 404, 'class_not_found', 'Holdet findes ikke.')
  })

  fastify.patch<{ Params: Static<typeof IdParams>, Body: Static<typeof UpdateClassBody> }>('/api/v1/classes/:id', {
    config: { scope: 'classes:write' },
    schema: {
      tags: ['classes'],
      operationId: 'updateClass',
      summary: 'Change a class (more seats promote from the waiting list)',
      description: 'Meetings are matched by id, never by position. A meeting with attendance cannot be removed (409 meeting_has_attendance). With `version`, a class changed since is refused (409 class_changed).',
      params: IdParams,
      body: UpdateClassBody,
      response: { 200: ManagedClass, 400: BadId, 404: NOT_FOUND, 409: errorAnswer('`class_changed` (with `version`), `capacity_below_seats_taken`, `meeting_has_attendance`, `room_clash`, or the class is cancelled or has ended.'), 422: INVALID_CLASS }
    }
  }, async (request, reply) => {
    const id = (parseId(request.params.id) ?? 0)
    const { version, allowCapacityBelowSeatsTaken, allowRoomClash, ...changes } = request.body ?? {}
    if (Object.keys(changes).length === 0) return await apiError(reply, 400, 'invalid_body', 'Skriv mindst ét felt, der skal ændres.', undefined, { field: null })
    const current = await managedClass(id)
    if (!current) return await apiError(reply, 404, 'class_not_found', 'Holdet findes ikke.')
    const merged = { courseSlug: current.courseSlug, locationId: current.locationId, partnerId: current.partnerId, capacity: current.capacity, public: current.public, waitlistMode: current.waitlistMode as 'auto' | 'call' | 'offer', note: current.note, meetings: current.meetings, ...changes }
    const problem = await checkClass(merged, id)
    // Only a new time or place can make a new clash: a change of seats never asks again.
    if (!problem && (changes.meetings !== undefined || changes.locationId !== undefined)) {
      const clash = await roomClash(toInput(merged), id, allowRoomClash === true)
      if (clash) return await apiError(reply, 409, 'room_clash', clash.message, clash.details)
    }
    if (problem) return await apiError(reply, 422, 'invalid_class', problem.message, undefined, { field: problem.field })
    try {
      await updateClass(fastify.db, request.actor, id, toInput(merged), { expectedVersion: version, allowCapacityBelowSeatsTaken })
    } catch (error) {
      if (!(error instanceof DomainError)) throw error
      const details = Object.keys(error.details).length > 0 ? error.details : undefined
      return await apiError(reply, DOMAIN_MESSAGES[error.code].status, error.code, DOMAIN_MESSAGES[error.code].message, details)
    }
    return await managedClass(id)
  })

  fastify.post<{ Params: Static<typeof IdParams> }>('/api/v1/classes/:id/cancel', {
    config: { scope: 'classes:write' },
    schema: { tags: ['classes'], operationId: 'cancelClass', summary: 'Cancel a class; its bookings are kept, cancelled by the organiser. A class that has ended cannot be cancelled (409 class_ended).', params: IdParams, response: { 200: ManagedClass, 400: BadId, 404: NOT_FOUND, 409: errorAnswer('The class is already cancelled, or has ended (`class_ended`).') } }
  }, async (request, reply) => {
    const id = (parseId(request.params.id) ?? 0)
    if (!await findClassRow(fastify.db, id)) return await apiError(reply, 404, 'class_not_found', 'Holdet findes ikke.')
    try {
      await cancelClass(fastify.db, request.actor, id)
    } catch (error) {
      if (error instanceof DomainError) return await apiError(reply, DOMAIN_MESSAGES[error.code].status, error.code, DOMAIN_MESSAGES[error.code].message)
      throw error
    }
    return await managedClass(id)
  })

  fastify.get<{ Params: Static<typeof IdParams> }>('/api/v1/classes/:id/bookings', {
    config: { scope: 'bookings:read' },
    schema: {
      tags: ['bookings'],
      operationId: 'listBookings',
      summary: "A class's confirmed and waiting bookings, in queue order",
      description: 'Returns personal data (names, contact details, year of birth, needs, who booked): use a token with bookings:read only on a server that staff alone can reach.',
      params: IdParams,
      response: { 200: BookingList, 400: BadId, 404: NOT_FOUND }
    }
  }, async (request, reply) => {
    const id = (parseId(request.params.id) ?? 0)
    if (!await findClassRow(fastify.db, id)) return await apiError(reply, 404, 'class_not_found', 'Holdet findes ikke.')
    let waiting = 0
    return {
      bookings: (await listActiveBookings(fastify.db, id)).map(b => ({
        id: b.id,
        status: b.status,
        waitlistNumber: b.status === 'waitlisted' ? ++waiting : null,
        name: b.name,
        phone: b.phone,
        email: b.email,
        birthYear: b.birth_year,
        needs: { companion: b.needs_companion === 1, hearingLoop: b.needs_hearing_loop === 1, other: b.needs_other },
        bookedBy: b.booker_name === null ? null : { name: b.booker_name, phone: b.booker_phone, email: b.booker_email },
        source: b.source,
        smsConsent: b.sms_consent === 1,
        createdAt: b.created_at
      }))
    }
  })

  fastify.post<{ Params: Static<typeof IdParams>, Body: Static<typeof CreateBookingBody> }>('/api/v1/classes/:id/bookings', {
    config: { scope: 'bookings:write' },
    schema: {
      tags: ['bookings'],
      operationId: 'createBooking',
      summary: 'Book a seat, or a place on the waiting list, with the same rules as the booking form',
      description: 'The same person again (same name, a phone or e-mail in common) is a 409 already_booked that says nothing of the existing booking; its link is sent again to the contacts given in it. More people from one booker on one class than the limit is a 429 booking_limit_booker.',
      params: IdParams,
      body: CreateBookingBody,
      response: {
        201: Type.Object({
          status: Type.Union([Type.Literal('confirmed'), Type.Literal('waitlisted')]),
          waitlistNumber: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
          created: Type.Literal(true),
          url: Type.String({ description: 'The private booking page: give it only to the person booked.' })
        }),
        400: BadId,
        404: NOT_FOUND,
        409: errorAnswer('`already_booked` (the same person; nothing of the existing booking is told), or the class is cancelled, has ended or has started.'),
        422: errorAnswer('The booking does not pass the booking form\'s rules (`validation_error`, a Danish message per field in `details`).'),
        429: errorAnswer('More people from one booker on this class than the limit (`booking_limit_booker`).')
      }
    }
  }, async (request, reply) => {
    const id = parseId(request.params.id)
    if (id === undefined) return await apiError(reply, 404, 'class_not_found', 'Holdet findes ikke.')
    const b = request.body
    const values: BookingFormValues = {
      ...EMPTY_BOOKING_FORM,
      name: b.name,
      phone: b.phone ?? '',
      email: b.email ?? '',
      birth_year: b.birthYear === undefined ? '' : String(b.birthYear),
      needs_companion: b.needsCompanion ?? false,
      needs_hearing_loop: b.needsHearingLoop ?? false,
      needs_other: b.needsOther ?? '',
      for_someone_else: b.bookedBy !== undefined,
      booker_name: b.bookedBy?.name ?? '',
      booker_phone: b.bookedBy?.phone ?? '',
      booker_email: b.bookedBy?.email ?? '',
      sms_consent: b.smsConsent ?? false
    }
    const result = validateBookingForm(values)
    if (!result.ok) return await apiError(reply, 422, 'validation_error', 'Tilmeldingen er ikke gyldig. Se "details" for, hvad der skal rettes.', result.errors)
    try {
      const outcome = await bookSeat(fastify.db, request.actor, id, result.input, { source: 'online', limits: apiLimits })
      // A duplicate says nothing of the existing booking: its link went to its own contacts.
      if (!outcome.created) return await apiError(reply, 409, 'already_booked', 'Personen er allerede tilmeldt holdet. Linket til tilmeldingen er sendt igen til de kontaktoplysninger, der står i tilmeldingen.')
      return await reply.code(201).send({
        status: outcome.status,
        waitlistNumber: outcome.waitlistNumber,
        created: true,
        url: `${fastify.config.publicUrl}/tilmelding/${outcome.token}`
      })
    } catch (error) {
      if (error instanceof DomainError) return await apiError(reply, DOMAIN_MESSAGES[error.code].status, error.code, DOMAIN_MESSAGES[error.code].message)
      throw error
    }
  })
}

export default manageApi
