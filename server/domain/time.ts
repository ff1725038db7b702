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

/**
 * One formatter for every date shown: Intl's, made once (a page lists hundreds of
 * dates, and building a formatter per date is what makes formatting slow).
 */
const danish = new Intl.DateTimeFormat('da-DK', { timeZone: ZONE, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })

interface Parts { weekday: string, day: string, month: string, year: string, hour: string, minute: string }

/**
 * The parts of moments already formatted. formatToParts costs tens of microseconds, and
 * a catalogue page formats the same few meeting times again on every request: profiled
 * under load, it was a fifth of the server's time. Bounded: emptied when it is full.
 */
const formatted = new Map<number, Parts>()
const FORMATTED_MAX = 20_000

function partsOf (date: Date): Parts {
  const ms = date.getTime()
  const known = formatted.get(ms)
  if (known) return known
  const parts: Partial<Parts> = {}
  for (const p of danish.formatToParts(date)) if (p.type in { weekday: 1, day: 1, month: 1, year: 1, hour: 1, minute: 1 }) parts[p.type as keyof Parts] = p.value
  if (formatted.size >= FORMATTED_MAX) formatted.clear()
  formatted.set(ms, parts as Parts)
  return parts as Parts
}

/**
 * The Copenhagen year of a moment, from the start of its hour: Copenhagen's new year
 * falls on a whole UTC hour, so the answer is the same, and "now" formats once an hour.
 */
const yearOf = (date: Date): string => partsOf(new Date(Math.floor(date.getTime() / 3_600_000) * 3_600_000)).year

/** Stored times are UTC; one without an offset is read as UTC too, never as server time. */
const parse = (iso: string): Date => new Date(/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`)

/** "tirsdag 3. marts" */
export function formatDate (iso: string): string {
  const p = partsOf(parse(iso))
  return `${p.weekday} ${p.day}. ${p.month}`
}

/** "tirsdag 3. marts 2027" (year only when it is not the current year) */
export function formatDateWithYear (iso: string, now: Date = new Date()): string {
  const p = partsOf(parse(iso))
  return p.year === yearOf(now) ? `${p.weekday} ${p.day}. ${p.month}` : `${p.weekday} ${p.day}. ${p.month} ${p.year}`
}

/** "fredag 22. november 2024": always with the year, for reports that span years. */
export function formatFullDate (iso: string): string {
  const p = partsOf(parse(iso))
  return `${p.weekday} ${p.day}. ${p.month} ${p.year}`
}

/** The Copenhagen date of a moment, yyyy-mm-dd: what "today" and "the meeting's day" mean. */
export function copenhagenDate (iso: string | Date): string {
  const dt = typeof iso === 'string' ? DateTime.fromISO(iso, { zone: 'utc' }) : DateTime.fromJSDate(iso)
  return dt.setZone(ZONE).toISODate() ?? ''
}

const yearAndMonth = new Intl.DateTimeFormat('en', { timeZone: ZONE, year: 'numeric', month: '2-digit' })

/**
 * The Copenhagen month of a moment, yyyy-mm. From one kept formatter: a report names the
 * month of thousands of meetings, and luxon takes about 100 µs a moment where this takes 5.
 */
export function copenhagenMonth (iso: string): string {
  let year = ''
  let month = ''
  for (const p of yearAndMonth.formatToParts(parse(iso))) {
    if (p.type === 'year') year = p.value
    else if (p.type === 'month') month = p.value
  }
  return `${year}-${month}`
}

/** The moment the Copenhagen calendar month of `at` began, as a UTC ISO string. */
export function copenhagenMonthStart (at: Date): string {
  return DateTime.fromJSDate(at).setZone(ZONE).startOf('month').toUTC().toISO() as string
}

/** "2024-11-22": the Copenhagen day, in the form every spreadsheet reads as a date. */
export function spreadsheetDate (iso: string): string {
  return copenhagenDate(iso)
}

/** "2024-11-22 10:00": Copenhagen time, in the form Danish Excel reads as a date and time. */
export function spreadsheetDateTime (iso: string): string {
  return local(iso).toFormat('yyyy-MM-dd HH:mm')
}

/** "10.00" */
export function formatTime (iso: string): string {
  const p = partsOf(parse(iso))
  return `${p.hour}.${p.minute}`
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
