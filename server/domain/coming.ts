import { momentOf } from './reminders.ts'

/**
 * "Kommer du?" before the first meeting: when it is asked, when unanswered seats are
 * released, and when the one reminder before that goes out. Pure rules.
 */

const HOUR = 3600_000

/**
 * A seat is released only if the question gave this much time to answer: someone asked
 * later (a seat given from the waiting list close to the start, or release hours set
 * longer than the days before) is asked, but their seat is never released for silence.
 */
export const RELEASE_NOTICE_MS = 12 * HOUR

/** The moment to ask: `days` calendar days (Copenhagen) before the first meeting, at the same time of day. */
export function askMoment (firstStartsAt: string, days: number): number {
  return momentOf(firstStartsAt, days * 1440)
}

/** The moment unanswered seats go on: `hours` clock hours before the first meeting. */
export function releaseMoment (firstStartsAt: string, hours: number): number {
  return Date.parse(firstStartsAt) - hours * HOUR
}

/**
 * When a booking asked at `askedAt` loses its seat without an answer, as an ISO time, or
 * null when it never does (the class does not release seats, or the question came too
 * late for that). The first message says this time.
 */
export function releaseAt (askedAt: string, firstStartsAt: string, releaseHours: number | null): string | null {
  if (releaseHours === null) return null
  const release = releaseMoment(firstStartsAt, releaseHours)
  return Date.parse(askedAt) <= release - RELEASE_NOTICE_MS ? new Date(release).toISOString() : null
}

/** The one reminder before a release: halfway between asking and releasing. */
export function comingReminderMoment (askedAt: string, release: string): number {
  const asked = Date.parse(askedAt)
  return asked + Math.floor((Date.parse(release) - asked) / 2)
}
