import { DateTime } from 'luxon'
import { ZONE } from './time.ts'

/**
 * When reminders go out. Offsets are minutes before a meeting's start (e.g. 2 days and
 * 3 hours). Pure rules, tested without a database.
 */

const MINUTE = 60_000
const DAY_MINUTES = 1440

/**
 * The moment of a reminder. Whole days count on the Copenhagen calendar ("two days
 * before, at the same time of day", also across a daylight-saving change); hours and
 * minutes count on the clock.
 */
export function momentOf (startsAt: string, offsetMinutes: number): number {
  if (offsetMinutes % DAY_MINUTES === 0) {
    return DateTime.fromISO(startsAt, { zone: 'utc' }).setZone(ZONE).minus({ days: offsetMinutes / DAY_MINUTES }).toMillis()
  }
  return Date.parse(startsAt) - offsetMinutes * MINUTE
}

/**
 * The reminder due now for one booking on one meeting, as its offset, or null.
 * - Only the latest moment that has passed counts: a server that was down at the
 *   two-day moment sends that reminder late, but not once the three-hour one is due.
 * - Never once the meeting has begun.
 * - Never for a moment that had passed before the booking was confirmed.
 */
export function dueReminderOffset (startsAt: string, confirmedAt: string | null, offsets: number[], now: Date): number | null {
  if (confirmedAt === null || now.getTime() >= Date.parse(startsAt)) return null
  const passed = offsets.filter(o => momentOf(startsAt, o) <= now.getTime())
  if (passed.length === 0) return null
  const latest = Math.min(...passed)
  return Date.parse(confirmedAt) <= momentOf(startsAt, latest) ? latest : null
}

/**
 * The moment of the first reminder a booking would get for a meeting: the earliest
 * moment after the booking was confirmed. Someone without e-mail is phoned on that day.
 */
export function firstReminderMoment (startsAt: string, confirmedAt: string | null, offsets: number[]): Date | null {
  if (confirmedAt === null) return null
  const moments = offsets.map(o => momentOf(startsAt, o)).filter(m => m >= Date.parse(confirmedAt))
  return moments.length > 0 ? new Date(Math.min(...moments)) : null
}

/** "2 dage", "3 timer", "30 minutter" */
export function formatOffset (minutes: number): string {
  if (minutes % 1440 === 0) return minutes === 1440 ? '1 dag' : `${minutes / 1440} dage`
  if (minutes % 60 === 0) return minutes === 60 ? '1 time' : `${minutes / 60} timer`
  return minutes === 1 ? '1 minut' : `${minutes} minutter`
}
