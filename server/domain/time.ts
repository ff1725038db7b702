import { DateTime } from 'luxon'

export const ZONE = 'Europe/Copenhagen'

/** The one format timestamps are stored in: UTC ISO-8601 with milliseconds and Z. */
export function toStoredIso (date: Date | DateTime): string {
  const dt = date instanceof Date ? DateTime.fromJSDate(date) : date
  return dt.toUTC().toISO() as string
}

export function nowIso (): string {
  return new Date().toISOString()
}

function local (iso: string): DateTime {
  return DateTime.fromISO(iso, { zone: 'utc' }).setZone(ZONE).setLocale('da')
}

/** Copenhagen wall-clock time ("2026-03-03", "10:00") to a stored UTC ISO string. */
export function fromLocal (date: string, time: string): string {
  const dt = DateTime.fromISO(`${date}T${time}`, { zone: ZONE })
  if (!dt.isValid) throw new Error(`Invalid local time ${date} ${time}`)
  return toStoredIso(dt)
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)

/** "tirsdag 3. marts" */
export function formatDate (iso: string): string {
  return local(iso).toFormat('cccc d. LLLL')
}

/** "tirsdag 3. marts 2027" (year only when it is not the current year) */
export function formatDateWithYear (iso: string, now: Date = new Date()): string {
  const dt = local(iso)
  const sameYear = dt.year === DateTime.fromJSDate(now).setZone(ZONE).year
  return sameYear ? dt.toFormat('cccc d. LLLL') : dt.toFormat('cccc d. LLLL yyyy')
}

/** "10.00" */
export function formatTime (iso: string): string {
  return local(iso).toFormat('HH.mm')
}

/** "tirsdag 3. marts kl. 10.00" */
export function formatDateTime (iso: string, now?: Date): string {
  return `${formatDateWithYear(iso, now)} kl. ${formatTime(iso)}`
}

/** "tirsdag 3. marts kl. 10.00–11.30" */
export function formatMeeting (startsAt: string, endsAt: string, now?: Date): string {
  return `${formatDateWithYear(startsAt, now)} kl. ${formatTime(startsAt)}–${formatTime(endsAt)}`
}

/** "Tirsdag 3. marts kl. 10.00–11.30", for the start of a line */
export function formatMeetingSentence (startsAt: string, endsAt: string, now?: Date): string {
  return capitalise(formatMeeting(startsAt, endsAt, now))
}

/** Offset ISO-8601 in Copenhagen time, for the API: "2026-03-03T10:00:00+01:00" */
export function toOffsetIso (iso: string): string {
  return local(iso).toISO({ suppressMilliseconds: true }) as string
}

/** "1 time og 30 minutter", "2 timer", "45 minutter" */
export function formatDuration (minutes: number): string {
  const h = Math.floor(minutes / 60)
  const m = minutes % 60
  const parts: string[] = []
  if (h > 0) parts.push(h === 1 ? '1 time' : `${h} timer`)
  if (m > 0) parts.push(m === 1 ? '1 minut' : `${m} minutter`)
  return parts.join(' og ') || '0 minutter'
}
