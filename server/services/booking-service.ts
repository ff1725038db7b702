import type { Db, DbOrTx, Tx } from '../db/connection.ts'
import type { BookingRow, BookingSource, CallOutcome, CancelledBy, ClassRow } from '../db/schema.ts'
import { type Actor, actingStaffId } from '../domain/actor.ts'
import { type BookingInput, isSamePerson } from '../domain/booking-form.ts'
import { bookingsToPromote, statusForNewBooking, waitlistNumber } from '../domain/capacity.ts'
import { newBookingToken } from '../domain/booking-token.ts'
import { findBursts } from '../domain/bursts.ts'
import { DomainError } from '../domain/errors.ts'
import {
  type BookingWithPerson, claimLinkResend, countActiveByBooker, countWaitlistedUpTo, readRoomOnClass, listActiveBookingsWithContacts, markContactConflict, countConfirmed, findBookingById, findBookingByToken, findMovedTo, insertBooking, withPersonOf,
  type RoomOnClass, insertWaitlistCall, setSmsConsent, setStaffNote, listActiveBookings, fillSeats, listWaitlistIds, setBookingStatus
} from '../repositories/booking-repository.ts'
import { findClassSummary, listMeetings, lockClass } from '../repositories/class-repository.ts'
import { findCourse } from '../repositories/course-repository.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { countMailsTo, withdrawQueued } from '../repositories/outbox-repository.ts'
import type { Course } from '../domain/course-file.ts'
import { type SmsNumber, bookingMsisdns, smsNumbers } from '../domain/sms-consent.ts'
import { findNumberStates } from '../repositories/sms-repository.ts'
import { type ClassCard, toCard } from './class-query-service.ts'
import { findOrCreateParticipant } from './participant-service.ts'
import { bookingRecipients, notifyBooking } from './notification-service.ts'
import { offerFreeSeats } from './offer-service.ts'
import { listSeatOffers } from '../repositories/offer-repository.ts'

/** A booking that was made: a seat, or a numbered place on the waiting list. */
export interface NewBookingOutcome {
  created: true
  token: string
  status: 'confirmed' | 'waitlisted'
  /** 1-based place on the waiting list, when waitlisted. */
  waitlistNumber: number | null
}

/**
 * The same person already had a booking on the class. Nothing about that booking is
 * returned to an anonymous caller: its link was sent again to the contact details given
 * in it instead (at most once per booking per 10 minutes).
 */
export interface DuplicateBookingOutcome {
  created: false
  /** The existing booking's link, only when staff booked (they may see it anyway). */
  existingToken: string | null
  linkResent: boolean
}

export type BookingOutcome = NewBookingOutcome | DuplicateBookingOutcome

/** How many online bookings one address or one booker may make (settings; staff are never limited). */
export interface BookingLimits {
  /** Accepted online bookings from one address, over all classes, within the window. */
  perAddress: number
  /** Accepted online bookings from one address on one class, within the window. */
  perAddressPerClass: number
  /** Active bookings on one class made by one booker (the same phone or e-mail). */
  perBookerPerClass: number
  windowMinutes: number
}

export interface BookSeatOptions {
  /** How the booking came: the public form and the API 'online', staff 'phone', the door 'walkin'. */
  source: BookingSource
  /** Staff booking a known participant from their page: no second record is made for them. */
  knownParticipantId?: number
  now?: Date
  /** A keyed hash of the address an online booking came from (see addressKey). */
  sourceKey?: string | null
  /** Limits for bookings from the public form and the API; none when absent. */
  limits?: BookingLimits
}

/** How long a re-sent link blocks the next one. */
export const LINK_RESEND_MINUTES = 10
/** At most this many re-sent links reach one address in a day. */
export const LINK_RESENDS_PER_DAY = 3

/**
 * Where a new booking on a locked class lands: a seat while one is free and nobody
 * waits, else the next place on the waiting list. Refuses cancelled and begun classes.
 * Counts, not the bookings themselves: a class with a long waiting list costs the same.
 * Online, the same statement counts the bookings from the address (see checkAddressLimits).
 */
async function placeOn (tx: Tx, cls: ClassRow, at: string, opts: Pick<BookSeatOptions, 'sourceKey' | 'limits'> = {}): Promise<{ status: NewBookingOutcome['status'], waitlistNumber: number | null, fromSource: RoomOnClass['fromSource'] }> {
  if (cls.cancelled_at !== null) throw new DomainError('class_cancelled')
  const window = opts.limits?.windowMinutes ?? 0
  const room = await readRoomOnClass(tx, cls.id, {
    key: opts.limits && opts.sourceKey ? opts.sourceKey : null,
    since: new Date(Date.parse(at) - window * 60_000).toISOString()
  })
  if (room.firstStartsAt === null || room.firstStartsAt <= at) throw new DomainError('class_started')
  const status = statusForNewBooking(cls.capacity, room.confirmed, room.waitlisted)
  return { status, waitlistNumber: status === 'waitlisted' ? room.waitlisted + 1 : null, fromSource: room.fromSource }
}

/**
 * Refuses an online booking beyond the limits for one address. Only accepted bookings
 * count (they are the rows themselves), so rejected forms, stale pages and duplicates
 * never lock a library's shared address out. Checked before the duplicate check, so an
 * address at its limit learns nothing about who is booked. The counts come from placeOn,
 * under the class lock.
 */
function checkAddressLimits (recent: RoomOnClass['fromSource'], opts: Pick<BookSeatOptions, 'sourceKey' | 'limits'>): void {
  const limits = opts.limits
  if (!limits || !opts.sourceKey) return
  if (recent.onClass >= limits.perAddressPerClass) throw new DomainError('booking_limit_class')
  if (recent.total >= limits.perAddress) throw new DomainError('booking_limit_address')
}

/**
 * Refuses more people on one class from one booker (the same phone or e-mail). Online,
 * only bookings from the same address count, so a stranger naming a carer as booker
 * cannot lock the carer out.
 */
async function checkBookerLimit (tx: Tx, classId: number, input: BookingInput, opts: Pick<BookSeatOptions, 'sourceKey' | 'limits'>): Promise<void> {
  const booker = input.booker
  if (!opts.limits || !booker) return
  if (await countActiveByBooker(tx, classId, booker, opts.sourceKey ?? null) >= opts.limits.perBookerPerClass) throw new DomainError('booking_limit_booker')
}

/**
 * Books a seat, or a numbered place on the waiting list, in one transaction: the class
 * row is locked first, then seats are counted and the booking written, so that a class
 * never gets more confirmed bookings than seats. Staff booking a known participant from
 * their page pass `knownParticipantId`, so no second record is made for them.
 *
 * The contact details typed in belong to this booking: messages about it go there, and
 * no stored participant is changed by them. When the same person is already on the class,
 * nothing is booked; anyone but staff gets no detail of that booking, and its link is
 * sent again to that booking's own contacts.
 */
export async function bookSeat (db: Db, actor: Actor, classId: number, input: BookingInput, opts: BookSeatOptions): Promise<BookingOutcome> {
  const { source, knownParticipantId, now = new Date() } = opts
  const at = now.toISOString()
  // Staff may see the booking anyway: they are told of a duplicate, and their booking is audited.
  const staffId = actor.kind === 'staff' ? actor.staffId : undefined
  return await db.transaction().execute(async tx => {
    const cls = await lockClass(tx, classId)
    if (!cls) throw new DomainError('class_not_found')
    if (source === 'online' && cls.is_public !== 1 && cls.cancelled_at === null) throw new DomainError('class_not_public')
    const { status, waitlistNumber, fromSource } = await placeOn(tx, cls, at, opts)
    checkAddressLimits(fromSource, opts)
    const given = [input.phone, input.email, input.booker?.phone ?? null, input.booker?.email ?? null]
    // Only a booking that shares a contact can be the same person (isSamePerson).
    const sharing = await listActiveBookingsWithContacts(tx, classId, given.filter((c): c is string => c !== null))
    const existing = sharing.find(b => isSamePerson({ name: input.name, contacts: given }, { name: b.name, contacts: [b.phone, b.email, b.booker_phone, b.booker_email] }))
    if (existing) {
      if (staffId !== undefined) return { created: false, existingToken: existing.token, linkResent: false }
      // Other contact details than the booking's: someone may have booked this person
      // first with their own address. Staff see it on the class page and can phone.
      const known = new Set([existing.phone, existing.email, existing.booker_phone, existing.booker_email])
      if (given.some(c => c !== null && !known.has(c))) await markContactConflict(tx, existing.id, at)
      return { created: false, existingToken: null, linkResent: await resendLink(tx, existing, now) }
    }
    await checkBookerLimit(tx, classId, input, opts)

    const participantId = knownParticipantId ?? await findOrCreateParticipant(tx, input, at)
    const booking = await insertBooking(tx, {
      class_id: classId,
      participant_id: participantId,
      token: newBookingToken(),
      status,
      source,
      person_name: input.name,
      person_birth_year: input.birthYear,
      contact_phone: input.phone,
      contact_email: input.email,
      needs_companion: input.needsCompanion ? 1 : 0,
      needs_hearing_loop: input.needsHearingLoop ? 1 : 0,
      needs_other: input.needsOther,
      booker_name: input.booker?.name ?? null,
      booker_phone: input.booker?.phone ?? null,
      booker_email: input.booker?.email ?? null,
      source_key: opts.sourceKey ?? null,
      sms_consent: input.smsConsent ? 1 : 0,
      created_at: at,
      confirmed_at: status === 'confirmed' ? at : null
    })
    if (staffId !== undefined) {
      await insertAuditEntry(tx, { at, staff_user_id: staffId, action: 'booking_created', subject_type: 'booking', subject_id: booking.id, detail: `class=${classId} source=${source} status=${status}` })
    }
    await notifyNewBooking(tx, withPersonOf(booking), waitlistNumber, now)
    return { token: booking.token, status, waitlistNumber, created: true }
  })
}

/**
 * Sends a booking's link again to the booking's own contacts, unless it was sent in the
 * last ten minutes (one conditional write, so two requests at once send it once), or
 * one of its addresses already had LINK_RESENDS_PER_DAY such e-mails in a day (so many
 * bookings naming one address cannot flood it).
 */
async function resendLink (tx: Tx, booking: BookingWithPerson, now: Date): Promise<boolean> {
  const since = new Date(now.getTime() - LINK_RESEND_MINUTES * 60_000).toISOString()
  const addresses = bookingRecipients(booking).map(r => r.email)
  if (addresses.length === 0) return false
  const dayAgo = new Date(now.getTime() - 86400_000).toISOString()
  if (await countMailsTo(tx, 'booking_link', addresses, dayAgo) >= LINK_RESENDS_PER_DAY * addresses.length) return false
  if (!await claimLinkResend(tx, booking.id, now.toISOString(), since)) return false
  const number = booking.status === 'waitlisted' ? await countWaitlistedUpTo(tx, booking.class_id, booking.id) : null
  return await notifyBooking(tx, booking, 'booking_link', { waitlistNumber: number }, now) > 0
}

async function notifyNewBooking (tx: Tx, booking: BookingWithPerson, waitlistNumber: number | null, now: Date): Promise<void> {
  if (waitlistNumber === null) await notifyBooking(tx, booking, 'booking_confirmed', {}, now)
  else await notifyBooking(tx, booking, 'booking_waitlisted', { waitlistNumber }, now)
}

export interface CancelOutcome {
  /** Booking ids that got a seat from the waiting list. */
  promoted: number[]
}

/**
 * Cancels a booking. A freed seat goes at once to the first on the waiting list.
 * Cancelling twice is harmless: the second call changes nothing.
 */
export async function cancelBooking (db: Db, actor: Actor, token: string, by: CancelledBy, now: Date = new Date()): Promise<CancelOutcome> {
  const at = now.toISOString()
  const staffId = actor.kind === 'staff' ? actor.staffId : undefined
  return await db.transaction().execute(async tx => {
    const booking = await findBookingByToken(tx, token)
    if (!booking) throw new DomainError('booking_not_found')
    const cls = await lockClass(tx, booking.class_id)
    if (!cls) throw new DomainError('class_not_found')
    // Re-read under the lock: a concurrent cancel or move may have got here first.
    const current = await findBookingByToken(tx, token)
    if (!current) throw new DomainError('booking_already_cancelled')
    await refuseIfCancelled(tx, current)
    if (await hasEnded(tx, cls.id, at)) throw new DomainError('class_ended')

    const promoted = await cancelLocked(tx, cls, current, by, now)
    if (staffId !== undefined) {
      await insertAuditEntry(tx, { at, staff_user_id: staffId, action: 'booking_cancelled', subject_type: 'booking', subject_id: current.id, detail: `promoted=${promoted.length}` })
    }
    return { promoted }
  })
}

/**
 * Cancels an active booking of a class locked by the caller, as the citizen's own
 * cancelling does: queued messages withdrawn, the person told, and the seat goes on by
 * the class's mode. Returns the bookings that got a seat from the waiting list.
 */
export async function cancelLocked (tx: Tx, cls: ClassRow, booking: BookingWithPerson, by: CancelledBy, now: Date): Promise<number[]> {
  const at = now.toISOString()
  await setBookingStatus(tx, [booking.id], 'cancelled', at, by)
  await withdrawQueued(tx, { bookingIds: [booking.id] }, 'Tilmeldingen blev afmeldt, før e-mailen blev sendt.')
  await notifyBooking(tx, booking, 'booking_cancelled', {}, now)
  return await promoteFromWaitlist(tx, cls, at)
}

/**
 * A cancelled booking cannot be cancelled or moved again. When staff moved it and the
 * person is still booked on the new class, say so: it is not "afmeldt".
 */
async function refuseIfCancelled (tx: DbOrTx, booking: Pick<BookingRow, 'id' | 'status'>): Promise<void> {
  if (booking.status !== 'cancelled') return
  throw new DomainError(await findLiveMove(tx, booking.id) ? 'booking_moved' : 'booking_already_cancelled')
}

/** The live booking that moves (perhaps several) made from this one, if any. */
async function findLiveMove (db: DbOrTx, bookingId: number): Promise<Pick<BookingRow, 'token' | 'status'> | undefined> {
  let next = await findMovedTo(db, bookingId)
  for (let hops = 0; next && next.status === 'cancelled' && hops < 100; hops++) next = await findMovedTo(db, next.id)
  return next && next.status !== 'cancelled' ? next : undefined
}

/** A class has ended when its last meeting has; its bookings then stay as they are. */
async function hasEnded (tx: DbOrTx, classId: number, at: string): Promise<boolean> {
  const last = (await listMeetings(tx, [classId])).at(-1)
  return last !== undefined && last.ends_at <= at
}

/**
 * Fills free seats from the waiting list, first in line first, when the class gives
 * seats away automatically, and tells each of them; in 'offer' mode offers them
 * (offer-service.ts). Call under the class lock.
 */
export async function promoteFromWaitlist (tx: Tx, cls: Pick<ClassRow, 'id' | 'capacity' | 'waitlist_mode'>, at: string): Promise<number[]> {
  if (cls.waitlist_mode !== 'auto' && cls.waitlist_mode !== 'offer') return []
  const last = (await listMeetings(tx, [cls.id])).at(-1)
  if (!last || last.ends_at <= at) return []
  // 'offer': the seats are offered with a deadline (given at once only close to the start).
  if (cls.waitlist_mode === 'offer') return await offerFreeSeats(tx, cls, at)
  const promoted = bookingsToPromote(cls.capacity, await countConfirmed(tx, cls.id), await listWaitlistIds(tx, cls.id))
  await fillSeats(tx, promoted, at, 'auto')
  for (const id of promoted) await notifyBooking(tx, id, 'booking_promoted', {}, new Date(at))
  return promoted
}

/**
 * A leader cancels several bookings of one class at once (a burst of invented bookings
 * from one address): one transaction under the class lock, each booking audit-logged,
 * then the freed seats go to the waiting list. No e-mail goes to the cancelled ones:
 * their addresses may be invented or someone else's. Only active online bookings that
 * are part of a burst are cancelled; any other id is left alone. Returns how many were
 * cancelled.
 */
export async function cancelBookingsOfBurst (db: Db, actor: Actor, classId: number, bookingIds: number[], now: Date = new Date()): Promise<{ cancelled: number, promoted: number[] }> {
  const staffId = actingStaffId(actor)
  const at = now.toISOString()
  return await db.transaction().execute(async tx => {
    const cls = await lockClass(tx, classId)
    if (!cls) throw new DomainError('class_not_found')
    if (await hasEnded(tx, classId, at)) throw new DomainError('class_ended')
    // Only bookings that are part of a burst right now: never a phone booking, nor one
    // that came in on its own.
    const active = await listActiveBookings(tx, classId)
    const inBurst = new Set(findBursts(active.filter(b => b.source === 'online').map(b => ({ id: b.id, sourceKey: b.source_key, createdAt: b.created_at }))).flatMap(b => b.bookingIds))
    const ids = bookingIds.filter((id, i) => inBurst.has(id) && bookingIds.indexOf(id) === i)
    if (ids.length === 0) return { cancelled: 0, promoted: [] }
    await setBookingStatus(tx, ids, 'cancelled', at, 'staff')
    await withdrawQueued(tx, { bookingIds: ids }, 'Tilmeldingen blev afmeldt af personalet, før e-mailen blev sendt.')
    for (const id of ids) {
      await insertAuditEntry(tx, { at, staff_user_id: staffId, action: 'booking_cancelled_burst', subject_type: 'booking', subject_id: id, detail: `class=${classId}` })
    }
    const promoted = await promoteFromWaitlist(tx, cls, at)
    return { cancelled: ids.length, promoted }
  })
}

export interface BookingView {
  booking: BookingWithPerson
  waitlistNumber: number | null
  /** For a booking staff moved: the token of the live booking it became, else null. */
  movedTo: string | null
}

export async function findBooking (db: Db, token: string): Promise<BookingView | undefined> {
  const booking = await findBookingByToken(db, token)
  if (!booking) return undefined
  if (booking.status === 'cancelled') return { booking, waitlistNumber: null, movedTo: (await findLiveMove(db, booking.id))?.token ?? null }
  if (booking.status !== 'waitlisted') return { booking, waitlistNumber: null, movedTo: null }
  const queue = await listWaitlistIds(db, booking.class_id)
  return { booking, waitlistNumber: waitlistNumber(queue, id => id === booking.id), movedTo: null }
}

export interface BookingPage extends BookingView {
  cls: ClassCard
  course: Course
  /** The booking's phone numbers and whether our texts reach each (STOP, landline). */
  smsNumbers: SmsNumber[]
}

/** Everything the private booking page shows: the booking, its class and its course. */
export async function getBookingPage (db: Db, token: string, now: Date = new Date()): Promise<BookingPage | undefined> {
  const view = await findBooking(db, token)
  if (!view) return undefined
  const summary = await findClassSummary(db, view.booking.class_id)
  const course = summary ? await findCourse(db, summary.courseSlug) : undefined
  if (!summary || !course) return undefined
  const known = await findNumberStates(db, bookingMsisdns(view.booking))
  return { ...view, cls: toCard(summary, now), course, smsNumbers: smsNumbers(view.booking, known) }
}

/**
 * Yes or no to texts about one booking, from its private page (the link is the key) or
 * by staff. No: texts still waiting in the outbox are withdrawn. Yes: the next message
 * about the booking goes by text too (a number that said STOP stays stopped until it
 * texts START). Only while the booking is active and its class has not ended. Returns
 * whether the answer changed.
 */
export async function changeSmsConsent (db: Db, actor: Actor, token: string, consent: boolean, now: Date = new Date()): Promise<boolean> {
  const at = now.toISOString()
  const staffId = actor.kind === 'staff' ? actor.staffId : undefined
  return await db.transaction().execute(async tx => {
    const booking = await findBookingByToken(tx, token)
    if (!booking) throw new DomainError('booking_not_found')
    await refuseIfCancelled(tx, booking)
    if (await hasEnded(tx, booking.class_id, at)) throw new DomainError('class_ended')
    const changed = await setSmsConsent(tx, booking.id, consent ? 1 : 0)
    if (changed && !consent) await withdrawQueued(tx, { bookingIds: [booking.id], channel: 'sms' }, 'Der blev sagt nej tak til sms, før den blev sendt.')
    if (changed && staffId !== undefined) {
      await insertAuditEntry(tx, { at, staff_user_id: staffId, action: consent ? 'booking_sms_on' : 'booking_sms_off', subject_type: 'booking', subject_id: booking.id, detail: null })
    }
    return changed
  })
}

/**
 * Records a phone call to someone on the waiting list. "accepted" gives them a free seat
 * (under the class lock, so two volunteers cannot give away the same seat); "declined"
 * takes them off the list; "no_answer" only notes the call.
 */
export async function recordWaitlistCall (db: Db, actor: Actor, bookingId: number, outcome: CallOutcome, now: Date = new Date()): Promise<void> {
  const staffId = actingStaffId(actor)
  const at = now.toISOString()
  await db.transaction().execute(async tx => {
    const booking = await findBookingById(tx, bookingId)
    if (!booking) throw new DomainError('booking_not_found')
    const cls = await lockClass(tx, booking.class_id)
    if (!cls) throw new DomainError('class_not_found')
    const current = await findBookingById(tx, bookingId)
    if (current?.status !== 'waitlisted') throw new DomainError('booking_not_waiting')
    // The past stays as it was: an ended class's waiting list is closed.
    if (await hasEnded(tx, cls.id, at)) throw new DomainError('class_ended')
    // In 'offer' mode, seats held by open offers to others are not free.
    const openOffers = cls.waitlist_mode === 'offer' ? (await listSeatOffers(tx, cls.id)).filter(o => o.state === 'open') : []
    if (outcome === 'accepted') {
      if (await countConfirmed(tx, cls.id) + openOffers.filter(o => o.booking_id !== bookingId).length >= cls.capacity) throw new DomainError('class_full')
      await fillSeats(tx, [bookingId], at, 'call')
      await notifyBooking(tx, bookingId, 'booking_promoted', {}, now)
    } else if (outcome === 'declined') {
      await setBookingStatus(tx, [bookingId], 'cancelled', at, 'staff')
      await withdrawQueued(tx, { bookingIds: [bookingId] }, 'Tilmeldingen blev afmeldt, før e-mailen blev sendt.')
    }
    // Their own open offer ends with the call (withdrawn), and a seat it held goes on.
    if (outcome !== 'no_answer' && openOffers.some(o => o.booking_id === bookingId)) await offerFreeSeats(tx, cls, at)
    await insertWaitlistCall(tx, { booking_id: bookingId, staff_user_id: staffId, at, outcome })
    await insertAuditEntry(tx, { at, staff_user_id: staffId, action: `waitlist_call_${outcome}`, subject_type: 'booking', subject_id: bookingId, detail: null })
  })
}

/** A note staff keep on a booking ("kommer med sin datter"); audit-logged without its text. */
export async function saveStaffNote (db: Db, actor: Actor, bookingId: number, note: string | null, now: Date = new Date()): Promise<void> {
  const staffId = actingStaffId(actor)
  await db.transaction().execute(async tx => {
    if (!await setStaffNote(tx, bookingId, note)) throw new DomainError('booking_not_found')
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: 'booking_note_saved', subject_type: 'booking', subject_id: bookingId, detail: null })
  })
}

/**
 * Moves a booking to another class in one transaction: the old booking is cancelled
 * (its seat goes on as usual) and a new one is made for the same person on the target
 * class, with a seat if one is free and nobody waits, else a place on its waiting list.
 * Both classes are locked in id order, so two moves cannot deadlock.
 */
export async function moveBooking (db: Db, actor: Actor, bookingId: number, targetClassId: number, now: Date = new Date()): Promise<NewBookingOutcome> {
  const staffId = actingStaffId(actor)
  const at = now.toISOString()
  return await db.transaction().execute(async tx => {
    const booking = await findBookingById(tx, bookingId)
    if (!booking) throw new DomainError('booking_not_found')
    if (booking.class_id === targetClassId) throw new DomainError('same_class')
    const [firstId, secondId] = [booking.class_id, targetClassId].sort((a, b) => a - b) as [number, number]
    const locked = new Map([[firstId, await lockClass(tx, firstId)], [secondId, await lockClass(tx, secondId)]])
    const from = locked.get(booking.class_id)
    const to = locked.get(targetClassId)
    if (!from || !to) throw new DomainError('class_not_found')
    const { status, waitlistNumber } = await placeOn(tx, to, at)
    const current = await findBookingById(tx, bookingId)
    if (!current) throw new DomainError('booking_already_cancelled')
    await refuseIfCancelled(tx, current)
    if (await hasEnded(tx, from.id, at)) throw new DomainError('class_ended')

    await setBookingStatus(tx, [bookingId], 'cancelled', at, 'staff')
    await withdrawQueued(tx, { bookingIds: [bookingId] }, 'Tilmeldingen blev flyttet til et andet hold, før e-mailen blev sendt.')
    await promoteFromWaitlist(tx, from, at)
    const moved = await insertBooking(tx, {
      class_id: targetClassId,
      participant_id: current.participant_id,
      token: newBookingToken(),
      status,
      source: current.source,
      person_name: current.name,
      person_birth_year: current.birth_year,
      contact_phone: current.phone,
      contact_email: current.email,
      needs_companion: current.needs_companion,
      needs_hearing_loop: current.needs_hearing_loop,
      needs_other: current.needs_other,
      booker_name: current.booker_name,
      booker_phone: current.booker_phone,
      booker_email: current.booker_email,
      staff_note: current.staff_note,
      // The person's answer about texts goes with them to the new class.
      sms_consent: current.sms_consent,
      moved_from_booking_id: bookingId,
      created_at: at,
      confirmed_at: status === 'confirmed' ? at : null
    })
    await insertAuditEntry(tx, { at, staff_user_id: staffId, action: 'booking_moved', subject_type: 'booking', subject_id: moved.id, detail: `from_booking=${bookingId} from_class=${booking.class_id} to_class=${targetClassId} status=${status}` })
    await notifyNewBooking(tx, withPersonOf(moved), waitlistNumber, now)
    return { token: moved.token, status, waitlistNumber, created: true }
  })
}
