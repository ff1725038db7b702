import type { Db, Tx } from '../db/connection.ts'
import type { ClassRow, SeatOfferRow } from '../db/schema.ts'
import { type Actor, actingStaffId } from '../domain/actor.ts'
import { newBookingToken } from '../domain/booking-token.ts'
import { offerTiming } from '../domain/seat-offer.ts'
import type { OfferReplyOutcome } from '../mail/messages.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { type BookingWithPerson, countConfirmed, fillSeats, findBookingById, listActiveBookings, setBookingStatus } from '../repositories/booking-repository.ts'
import { findClassRow, findClassSummary, listMeetings, lockClass } from '../repositories/class-repository.ts'
import { findCourse } from '../repositories/course-repository.ts'
import {
  closeSeatOffer, findSeatOfferById, findSeatOfferByToken, insertSeatOffer, listClassesWithOverdueOffers, listSeatOffers, listSeatOffersForPhone, listSeatOffersOfBooking
} from '../repositories/offer-repository.ts'
import { withdrawQueued } from '../repositories/outbox-repository.ts'
import type { Course } from '../domain/course-file.ts'
import { type ClassCard, toCard } from './class-query-service.ts'
import { notifyBooking, textOneNumber } from './notification-service.ts'

/**
 * Seat offers with a deadline (waiting-list mode 'offer'). A freed seat is offered to the
 * next in line; the seat is held for them (free seats = capacity − confirmed − open
 * offers) until they answer JA (the seat is theirs), NEJ (their waiting-list booking is
 * cancelled and the seat goes on), or the deadline passes. No answer: they keep their
 * place on the waiting list, but are not offered a seat on this class again (staff can
 * still phone them); the seat goes on to the next. Every change runs under the class lock.
 */

/** How an offer was answered: on the page from the e-mail, by text, or by staff on the phone. */
export type OfferVia = 'email' | 'sms' | 'staff'

/**
 * What an answer did. 'accepted' / 'declined': this answer decided the offer;
 * 'already_accepted' / 'already_declined': an earlier answer had; 'too_late': the deadline
 * passed; 'withdrawn': the offer ended without an answer (class cancelled, fewer seats,
 * booking cancelled).
 */
export type OfferResult = 'accepted' | 'declined' | 'already_accepted' | 'already_declined' | 'too_late' | 'withdrawn'

export interface OfferAnswer { result: OfferResult, bookingId: number, classId: number }

/** Within this long after an offer closed, a JA or NEJ by text is still taken to be about it. */
const JUST_CLOSED_MS = 12 * 3600_000

const SEAT_OFFER_KINDS = ['seat_offer']

/** Texts and e-mails about an offer that has ended are not worth sending any more. */
async function withdrawOfferMessages (tx: Tx, bookingIds: number[], reason: string): Promise<void> {
  await withdrawQueued(tx, { bookingIds, kinds: SEAT_OFFER_KINDS }, reason)
}

/**
 * Offers the class's free seats to the next in line: waiting bookings in queue order that
 * hold no open offer and have not let an offer for this class expire. Open offers whose
 * booking left the waiting list are withdrawn first; when the class has fewer seats than
 * confirmed bookings and open offers (capacity lowered), the newest open offers are
 * withdrawn (those people keep their place and may be offered again). Too close to the
 * start to wait for an answer, the seats are given at once as in 'auto' mode. Call under
 * the class lock. Returns the bookings that got a seat at once.
 */
export async function offerFreeSeats (tx: Tx, cls: Pick<ClassRow, 'id' | 'capacity'>, at: string): Promise<number[]> {
  const row = await findClassRow(tx, cls.id)
  if (!row || row.cancelled_at !== null) return []
  const offers = await listSeatOffers(tx, cls.id)
  const waiting = (await listActiveBookings(tx, cls.id)).filter(b => b.status === 'waitlisted')
  const waitingIds = new Set(waiting.map(b => b.id))
  let open = offers.filter(o => o.state === 'open')
  const stale = open.filter(o => !waitingIds.has(o.booking_id))
  for (const o of stale) await closeSeatOffer(tx, o.id, 'withdrawn', at, 'system')
  open = open.filter(o => waitingIds.has(o.booking_id))
  const free = cls.capacity - await countConfirmed(tx, cls.id) - open.length
  if (free < 0) {
    const surplus = open.slice(free)
    for (const o of surplus) await closeSeatOffer(tx, o.id, 'withdrawn', at, 'system')
    await withdrawOfferMessages(tx, surplus.map(o => o.booking_id), 'Der blev færre pladser på holdet, før tilbuddet blev sendt.')
    return []
  }
  if (free === 0) return []
  const passedOver = new Set(offers.filter(o => o.state === 'open' || o.state === 'expired' || o.state === 'declined').map(o => o.booking_id))
  const next = waiting.filter(b => !passedOver.has(b.id)).slice(0, free)
  if (next.length === 0) return []
  const [first] = await listMeetings(tx, [cls.id])
  const timing = offerTiming(at, row.offer_hours, first?.starts_at ?? null)
  const now = new Date(at)
  if (timing.kind === 'automatic') {
    const ids = next.map(b => b.id)
    await fillSeats(tx, ids, at, 'auto')
    for (const id of ids) await notifyBooking(tx, id, 'booking_promoted', {}, now)
    return ids
  }
  for (const booking of next) {
    const offer = await insertSeatOffer(tx, { class_id: cls.id, booking_id: booking.id, token: newBookingToken(), offered_at: at, deadline: timing.deadline })
    await notifyBooking(tx, booking, 'seat_offer', { offerToken: offer.token, deadline: offer.deadline }, now, { dedupeKey: `seat-offer:${offer.id}`, expiresAt: offer.deadline })
  }
  return []
}

/** Withdraws every open offer of a class (it was cancelled, or left 'offer' mode). Call under the class lock. */
export async function withdrawOpenOffers (tx: Tx, classId: number, at: string): Promise<number> {
  const open = (await listSeatOffers(tx, classId)).filter(o => o.state === 'open')
  for (const o of open) await closeSeatOffer(tx, o.id, 'withdrawn', at, 'system')
  await withdrawOfferMessages(tx, open.map(o => o.booking_id), 'Tilbuddet blev trukket tilbage, før det blev sendt.')
  return open.length
}

/** Ends open offers past their deadline on a locked class and offers their seats on. */
async function expireOverdue (tx: Tx, cls: ClassRow, at: string): Promise<number> {
  const overdue = (await listSeatOffers(tx, cls.id)).filter(o => o.state === 'open' && o.deadline <= at)
  let expired = 0
  for (const o of overdue) if (await closeSeatOffer(tx, o.id, 'expired', at, 'system')) expired++
  await withdrawOfferMessages(tx, overdue.map(o => o.booking_id), 'Fristen for tilbuddet var gået, før det blev sendt.')
  if (expired > 0) await offerFreeSeats(tx, cls, at)
  return expired
}

/** Open offers past their deadline become 'expired', and their seats are offered on. Each class in its own transaction. */
export async function expireOffers (db: Db, now: Date = new Date()): Promise<number> {
  const at = now.toISOString()
  let expired = 0
  for (const classId of await listClassesWithOverdueOffers(db, at)) {
    expired += await db.transaction().execute(async tx => {
      const cls = await lockClass(tx, classId)
      return cls ? await expireOverdue(tx, cls, at) : 0
    })
  }
  return expired
}

/**
 * One answer to one offer, inside a transaction, under the class lock, decided once: the
 * offer is read again under the lock and closed by a conditional write.
 */
async function answerInTx (tx: Tx, offerId: number, answer: 'yes' | 'no', via: OfferVia, staffId: number | null, now: Date): Promise<OfferAnswer | null> {
  const at = now.toISOString()
  const found = await findSeatOfferById(tx, offerId)
  if (!found) return null
  const cls = await lockClass(tx, found.class_id)
  const offer = await findSeatOfferById(tx, offerId)
  if (!cls || !offer) return null
  const done = (result: OfferResult): OfferAnswer => ({ result, bookingId: offer.booking_id, classId: offer.class_id })
  switch (offer.state) {
    case 'accepted': return done('already_accepted')
    case 'declined': return done('already_declined')
    case 'expired': return done('too_late')
    case 'withdrawn': return done('withdrawn')
    case 'open': break
  }
  if (offer.deadline <= at) {
    await expireOverdue(tx, cls, at)
    return done('too_late')
  }
  const booking = await findBookingById(tx, offer.booking_id)
  if (booking?.status !== 'waitlisted' || (answer === 'yes' && await countConfirmed(tx, cls.id) >= cls.capacity)) {
    // Cannot happen while every change goes through offerFreeSeats; said plainly if it does.
    await closeSeatOffer(tx, offer.id, 'withdrawn', at, 'system')
    return done('withdrawn')
  }
  if (answer === 'yes') {
    await closeSeatOffer(tx, offer.id, 'accepted', at, via)
    await fillSeats(tx, [booking.id], at, 'offer')
    await withdrawOfferMessages(tx, [booking.id], 'Tilbuddet var besvaret, før det blev sendt.')
    await notifyBooking(tx, booking.id, 'booking_promoted', {}, now)
  } else {
    await closeSeatOffer(tx, offer.id, 'declined', at, via)
    await setBookingStatus(tx, [booking.id], 'cancelled', at, via === 'staff' ? 'staff' : 'participant')
    await withdrawQueued(tx, { bookingIds: [booking.id] }, 'Der blev sagt nej tak til pladsen, før beskeden blev sendt.')
    await notifyBooking(tx, booking, 'offer_declined', {}, now)
    await offerFreeSeats(tx, cls, at)
  }
  if (staffId !== null) {
    await insertAuditEntry(tx, { at, staff_user_id: staffId, action: answer === 'yes' ? 'seat_offer_accepted' : 'seat_offer_declined', subject_type: 'booking', subject_id: booking.id, detail: `offer=${offer.id} via=${via}` })
  }
  return done(answer === 'yes' ? 'accepted' : 'declined')
}

async function answerByToken (db: Db, actor: Actor, token: string, answer: 'yes' | 'no', via: OfferVia, now: Date): Promise<OfferAnswer | null> {
  // Only staff answer for the citizen; their answer is audit-logged.
  const staffId = via === 'staff' ? actingStaffId(actor) : null
  return await db.transaction().execute(async tx => {
    const offer = await findSeatOfferByToken(tx, token)
    return offer ? await answerInTx(tx, offer.id, answer, via, staffId, now) : null
  })
}

/** JA to an offer (the page, or staff on the phone with via 'staff'). Null for an unknown token. */
export async function acceptOffer (db: Db, actor: Actor, token: string, via: OfferVia, now: Date = new Date()): Promise<OfferAnswer | null> {
  return await answerByToken(db, actor, token, 'yes', via, now)
}

/** NEJ to an offer: off the waiting list, and the seat goes on. Null for an unknown token. */
export async function declineOffer (db: Db, actor: Actor, token: string, via: OfferVia, now: Date = new Date()): Promise<OfferAnswer | null> {
  return await answerByToken(db, actor, token, 'no', via, now)
}

const REPLY_FOR: Partial<Record<OfferResult, OfferReplyOutcome>> = {
  already_accepted: 'already_yours',
  already_declined: 'closed',
  too_late: 'too_late',
  withdrawn: 'closed'
}

/**
 * A JA or NEJ by text from `msisdn` to its newest open offer (or, when none is open, one
 * that closed in the last twelve hours: the sender is told what became of it). Runs in the
 * transaction that stores the text. Returns the booking id it answered, or null when the
 * number has no such offer.
 */
export async function answerOfferByText (tx: Tx, msisdn: string, answer: 'yes' | 'no', providerId: string | null, now: Date): Promise<number | null> {
  const offers = await listSeatOffersForPhone(tx, `+${msisdn}`)
  const at = now.getTime()
  const offer = offers.find(o => o.state === 'open') ??
    offers.find(o => Date.parse(o.answered_at ?? o.deadline) > at - JUST_CLOSED_MS)
  if (!offer) return null
  const outcome = await answerInTx(tx, offer.id, answer, 'sms', null, now)
  if (!outcome) return null
  const reply = REPLY_FOR[outcome.result]
  if (reply) {
    const booking = await findBookingById(tx, outcome.bookingId) as BookingWithPerson
    await textOneNumber(tx, booking, msisdn, 'offer_reply', { outcome: reply }, now, `offer-reply:${providerId ?? now.toISOString()}`)
  }
  return outcome.bookingId
}

export interface OfferPage {
  offer: SeatOfferRow
  booking: BookingWithPerson
  cls: ClassCard
  course: Course
}

/** What the offer page (/tilbud/:token) shows; undefined for an unknown token. */
export async function getOfferPage (db: Db, token: string, now: Date = new Date()): Promise<OfferPage | undefined> {
  const offer = await findSeatOfferByToken(db, token)
  if (!offer) return undefined
  const [booking, summary] = await Promise.all([findBookingById(db, offer.booking_id), findClassSummary(db, offer.class_id)])
  const course = summary ? await findCourse(db, summary.courseSlug) : undefined
  if (!booking || !summary || !course) return undefined
  return { offer, booking, cls: toCard(summary, now), course }
}

/** The newest offer to a booking, for its booking page and staff pages. */
export async function findNewestOffer (db: Db, bookingId: number): Promise<SeatOfferRow | undefined> {
  return (await listSeatOffersOfBooking(db, bookingId))[0]
}

/** Every offer of a class, newest last, for the class page and the call-down list. */
export async function listClassOffers (db: Db, classId: number): Promise<SeatOfferRow[]> {
  return await listSeatOffers(db, classId)
}
