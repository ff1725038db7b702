import { DateTime } from 'luxon'
import type { CancelledBy, FilledBy } from '../db/schema.ts'
import { ZONE, formatDate } from './time.ts'

/*
 * No-shows and freed seats, defined once for the reports, the participant page and the
 * note on a phone booking.
 *
 * - A booked meeting-seat is one booking at one meeting of its class, when the booking
 *   held a seat at the meeting's start: confirmed before it, and not cancelled before it.
 *   Walk-ins are left out (they came), as are cancelled classes.
 * - A no-show is a booked meeting-seat with no attendance, once the meeting's Copenhagen
 *   day has passed (a check-in entered later the same day still counts).
 * - A freed seat is a confirmed seat given up before the class's first meeting began: a
 *   booking cancelled after it had been confirmed, by the participant or staff (a moved
 *   booking too), never a class the organiser cancelled.
 * - A freed seat is refilled when, after it was freed, a seat is given from the waiting
 *   list before the first meeting began (by offer, automatic promotion or call-down), or
 *   a walk-in takes a seat (not one let in beyond the seats) by the end of the first
 *   meeting. Refills go to freed seats in time order per class; a refill with no freed
 *   seat open before it (a seat that was never taken) is not counted.
 * - Bookings made before the "how it was filled" column existed have no `filled_by`: a
 *   booking confirmed later than it was made got its seat from the waiting list, and is
 *   counted as an automatic promotion.
 */

/** The moment the Copenhagen day of `now` began: meetings starting before it have had their day. */
export function noShowCutoff (now: Date): string {
  return DateTime.fromJSDate(now).setZone(ZONE).startOf('day').toUTC().toISO() as string
}

/** Whether the meeting's Copenhagen day has passed. */
export function meetingDayPassed (startsAt: string, now: Date): boolean {
  return startsAt < noShowCutoff(now)
}

/** A booking as the seat rules need it. */
export interface SeatBooking {
  source: string
  createdAt: string
  confirmedAt: string | null
  cancelledAt: string | null
  cancelledBy: CancelledBy | null
  classCancelledAt?: string | null
}

/** Whether a (non-walk-in) booking held a seat when a meeting began. */
export function heldSeatAt (b: Pick<SeatBooking, 'source' | 'confirmedAt' | 'cancelledAt' | 'classCancelledAt'>, startsAt: string): boolean {
  if (b.source === 'walkin' || b.confirmedAt === null || (b.classCancelledAt ?? null) !== null) return false
  return b.confirmedAt <= startsAt && (b.cancelledAt === null || b.cancelledAt > startsAt)
}

export type RefillKind = 'offer' | 'auto' | 'call' | 'walkin'
export const REFILL_KINDS: RefillKind[] = ['offer', 'auto', 'call', 'walkin']

/** How a booking got a seat that may refill a freed one; null for a seat given at booking. */
export function refillKindOf (b: SeatBooking & { filledBy: FilledBy | null, overCapacity: boolean }): RefillKind | null {
  if (b.confirmedAt === null) return null
  if (b.source === 'walkin') return b.overCapacity ? null : 'walkin'
  if (b.filledBy !== null) return b.filledBy
  // Before filled_by: a seat confirmed later than the booking was made came from the waiting list.
  return b.confirmedAt > b.createdAt ? 'auto' : null
}

/** Whether a booking gave up a confirmed seat before the class began. */
export function freedSeatAt (b: SeatBooking, firstStartsAt: string): string | null {
  if (b.confirmedAt === null || b.cancelledAt === null || b.cancelledBy === 'organiser') return null
  return b.cancelledAt < firstStartsAt ? b.cancelledAt : null
}

export interface RefillTally { freed: number, refilled: number, byKind: Record<RefillKind, number> }

export const emptyTally = (): RefillTally => ({ freed: 0, refilled: 0, byKind: { offer: 0, auto: 0, call: 0, walkin: 0 } })

/**
 * One class's freed seats and refills: each refill, in time order, goes to a seat freed
 * before it (or at the same moment: an automatic promotion is written with the
 * cancellation). A refill must come before the first meeting began; a walk-in by the
 * end of the first meeting.
 */
export function tallyRefills (bookings: Array<SeatBooking & { filledBy: FilledBy | null, overCapacity: boolean }>, firstStartsAt: string, firstEndsAt: string): RefillTally {
  const events: Array<{ at: string, kind: RefillKind | 'freed' }> = []
  for (const b of bookings) {
    const freedAt = freedSeatAt(b, firstStartsAt)
    if (freedAt !== null) events.push({ at: freedAt, kind: 'freed' })
    const kind = refillKindOf(b)
    if (kind === null || b.confirmedAt === null) continue
    const at = kind === 'walkin' ? b.createdAt : b.confirmedAt
    if (kind === 'walkin' ? at <= firstEndsAt : at < firstStartsAt) events.push({ at, kind })
  }
  // Freed before refilled at the same moment.
  events.sort((a, b) => a.at.localeCompare(b.at) || Number(a.kind !== 'freed') - Number(b.kind !== 'freed'))
  const tally = emptyTally()
  let open = 0
  for (const e of events) {
    if (e.kind === 'freed') { tally.freed++; open++ } else if (open > 0) { open--; tally.refilled++; tally.byKind[e.kind]++ }
  }
  return tally
}

export function addTally (a: RefillTally, b: RefillTally): RefillTally {
  return { freed: a.freed + b.freed, refilled: a.refilled + b.refilled, byKind: { offer: a.byKind.offer + b.byKind.offer, auto: a.byKind.auto + b.byKind.auto, call: a.byKind.call + b.byKind.call, walkin: a.byKind.walkin + b.byKind.walkin } }
}

/** One of a person's meetings: what their page shows as "Kom" or "Kom ikke". */
export interface MeetingSeat extends SeatBooking {
  bookingId: number
  classId: number
  courseTitle: string
  locationName: string
  meetingId: number
  startsAt: string
  attended: boolean
}

/** The meetings a person came to or missed, newest first: attended ones, and seats held at meetings whose day has passed. */
export function attendanceRecord (seats: MeetingSeat[], now: Date): Array<MeetingSeat & { came: boolean }> {
  return seats
    .filter(s => s.attended || (heldSeatAt(s, s.startsAt) && meetingDayPassed(s.startsAt, now)))
    .map(s => ({ ...s, came: s.attended }))
    .sort((a, b) => b.startsAt.localeCompare(a.startsAt) || b.meetingId - a.meetingId)
}

export interface MissedClass { courseTitle: string, startsAt: string }

/**
 * The person's last two classes, when they missed both without cancelling: a class counts
 * once every meeting they held a seat at has had its day, as missed when they came to
 * none of them, as attended when they came to one. A class they cancelled (before it
 * began) counts too, and breaks the run; one the organiser cancelled, or one they only
 * waited for, does not count. Null when there is nothing to say.
 */
export function missedLastTwo (seats: MeetingSeat[], now: Date): MissedClass[] | null {
  const byBooking = new Map<number, MeetingSeat[]>()
  for (const s of seats) byBooking.set(s.bookingId, [...(byBooking.get(s.bookingId) ?? []), s])
  const classes: Array<{ at: string, outcome: 'came' | 'missed' | 'cancelled', title: string }> = []
  for (const list of byBooking.values()) {
    const sorted = [...list].sort((a, b) => a.startsAt.localeCompare(b.startsAt))
    const first = sorted[0]!
    if ((first.classCancelledAt ?? null) !== null) continue
    if (sorted.some(s => s.attended)) { classes.push({ at: first.startsAt, outcome: 'came', title: first.courseTitle }); continue }
    const held = sorted.filter(s => heldSeatAt(s, s.startsAt))
    if (held.length > 0) {
      if (held.every(s => meetingDayPassed(s.startsAt, now))) classes.push({ at: held[0]!.startsAt, outcome: 'missed', title: first.courseTitle })
      continue
    }
    if (first.cancelledBy !== 'organiser' && freedSeatAt(first, first.startsAt) !== null && meetingDayPassed(first.startsAt, now)) {
      classes.push({ at: first.startsAt, outcome: 'cancelled', title: first.courseTitle })
    }
  }
  const last = classes.sort((a, b) => b.at.localeCompare(a.at)).slice(0, 2)
  if (last.length < 2 || last.some(c => c.outcome !== 'missed')) return null
  return last.map(c => ({ courseTitle: c.title, startsAt: c.at }))
}

/** "Kom ikke de sidste 2 gange uden at melde afbud (Kom godt i gang med MitID, tirsdag 4. marts; …)." */
export function missedNote (missed: MissedClass[]): string {
  return `Kom ikke de sidste ${missed.length} gange uden at melde afbud (${missed.map(m => `${m.courseTitle}, ${formatDate(m.startsAt)}`).join('; ')}).`
}
