import { formatDate, formatDateTime, formatTime } from './time.ts'

/**
 * Seat offers (waiting-list mode 'offer'): when the deadline to answer falls, and when a
 * class is too close to its start to offer and wait. Pure; hours are real hours (a day
 * across a daylight-saving change is 23 or 25 hours on the clock, 24 real hours here).
 */

/** An offer's deadline is never later than this many hours before the first meeting. */
export const OFFER_CUTOFF_HOURS = 12
/** Less time than this to answer, and the seat is given at once instead (as in 'auto' mode). */
export const OFFER_MIN_ANSWER_HOURS = 2

const HOUR = 3600_000

export type OfferTiming =
  | { kind: 'offer', deadline: string }
  /** Too close to the start to wait for an answer: give the seat to the first in line at once. */
  | { kind: 'automatic' }

/**
 * The deadline of an offer made at `offeredAt` (UTC ISO): `offerHours` real hours later,
 * but no later than OFFER_CUTOFF_HOURS before the first meeting. When that leaves less
 * than OFFER_MIN_ANSWER_HOURS to answer, the seat is given automatically.
 */
export function offerTiming (offeredAt: string, offerHours: number, firstStartsAt: string | null): OfferTiming {
  const from = Date.parse(offeredAt)
  let deadline = from + Math.max(0, offerHours) * HOUR
  if (firstStartsAt !== null) deadline = Math.min(deadline, Date.parse(firstStartsAt) - OFFER_CUTOFF_HOURS * HOUR)
  if (deadline - from < OFFER_MIN_ANSWER_HOURS * HOUR) return { kind: 'automatic' }
  return { kind: 'offer', deadline: new Date(deadline).toISOString() }
}

/** An offer can still be answered yes at `at` while it is open and its deadline has not passed. */
export function offerStillOpen (offer: { state: string, deadline: string }, at: string): boolean {
  return offer.state === 'open' && at < offer.deadline
}

/**
 * A deadline as a text says it: "tirsdag kl. 18.00" within the coming six days, else
 * with its date ("tirsdag 3. marts kl. 18.00"; never a year: it is before the class).
 */
export function formatDeadline (iso: string, now: Date): string {
  const soon = Date.parse(iso) - now.getTime() < 6 * 24 * HOUR
  return `${soon ? formatDate(iso).split(' ')[0] ?? '' : formatDate(iso)} kl. ${formatTime(iso)}`
}

const VIA: Record<string, string> = { sms: 'sms', email: 'siden', staff: 'telefon' }

/** An offer's state as staff read it on the class page and the call-down list. */
export function describeOffer (offer: { state: string, deadline: string, answered_at: string | null, answered_via: string | null }, now: Date): string {
  const answered = offer.answered_at ? formatDateTime(offer.answered_at, now) : ''
  const via = offer.answered_via && VIA[offer.answered_via] ? ` (${VIA[offer.answered_via] ?? ''})` : ''
  switch (offer.state) {
    case 'open': return offer.deadline <= now.toISOString() ? `Udløbet ${formatDateTime(offer.deadline, now)}` : `Tilbudt plads, frist ${formatDateTime(offer.deadline, now)}`
    case 'accepted': return `Sagt ja ${answered}${via}`
    case 'declined': return `Sagt nej ${answered}${via}`
    case 'expired': return `Udløbet ${formatDateTime(offer.deadline, now)}`
    default: return 'Tilbud trukket tilbage'
  }
}
