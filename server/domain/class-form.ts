import { DateTime } from 'luxon'
import { ZONE } from './time.ts'

export const MEETING_ROWS = 6
/** The most meetings a class can have (the API's limit too); the form grows to show them all. */
export const MAX_MEETINGS = 20
export const MAX_REPEAT_WEEKS = 26

/** One row of the form; `id` (hidden) is the meeting the row shows, '' for a new one. */
export interface MeetingFormValues { id: string, date: string, start: string, end: string }

export interface ClassFormValues {
  course: string
  location: string
  partner: string
  capacity: string
  is_public: boolean
  waitlist_mode: string
  note: string
  repeat_weeks: string
  meetings: MeetingFormValues[]
  /** The class's version when the edit form was opened (hidden); '' on a new class. */
  version: string
  /** The leader chose to set fewer seats than there are people with a seat. */
  capacity_below_seats: boolean
  /** The clashes the leader was shown and chose to plan anyway (their keys), '' for none. */
  clash_ok: string
}

/** A meeting as planned; `id` names an existing meeting of the class. */
export interface PlannedMeeting { id?: number, startsAt: string, endsAt: string }

export interface ClassInput {
  courseSlug: string
  locationId: number
  partnerId: number | null
  capacity: number
  isPublic: boolean
  waitlistMode: 'auto' | 'call'
  note: string | null
  /** 1 = just this class; N = this class and the same every week, N classes in all. */
  repeatWeeks: number
  meetings: PlannedMeeting[]
}

export type ClassErrors = Partial<Record<'course' | 'location' | 'partner' | 'capacity' | 'note' | 'repeat_weeks' | 'meetings' | `meeting_${number}`, string>>

const text = (b: Record<string, unknown>, key: string): string => {
  const value = b[key]
  return typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : ''
}

export function readClassForm (body: unknown): ClassFormValues {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  return {
    course: text(b, 'course'),
    location: text(b, 'location'),
    partner: text(b, 'partner'),
    capacity: text(b, 'capacity'),
    is_public: text(b, 'is_public') !== '',
    waitlist_mode: text(b, 'waitlist_mode'),
    note: text(b, 'note'),
    repeat_weeks: text(b, 'repeat_weeks'),
    meetings: withBlankRows(Array.from({ length: MAX_MEETINGS }, (_, i) => ({
      id: text(b, `meeting_id_${i + 1}`).trim(),
      date: text(b, `meeting_date_${i + 1}`).trim(),
      start: text(b, `meeting_start_${i + 1}`).trim(),
      end: text(b, `meeting_end_${i + 1}`).trim()
    }))),
    version: text(b, 'version').trim(),
    capacity_below_seats: text(b, 'capacity_below_seats') !== '',
    clash_ok: text(b, 'clash_ok').slice(0, 2000)
  }
}

const isBlankRow = (m: MeetingFormValues) => m.id === '' && m.date === '' && m.start === '' && m.end === ''

/** The rows up to the last one in use, and at least MEETING_ROWS, so there is room for more. */
export function withBlankRows (meetings: MeetingFormValues[]): MeetingFormValues[] {
  let used = meetings.length
  while (used > 0 && isBlankRow(meetings[used - 1]!)) used--
  const rows = meetings.slice(0, Math.max(used, MEETING_ROWS))
  while (rows.length < MEETING_ROWS) rows.push({ id: '', date: '', start: '', end: '' })
  return rows
}

/** "10.00" and "10:00" both mean ten o'clock. */
const readTime = (value: string): string | null => {
  const m = /^(\d{1,2})[.:](\d{2})$/.exec(value)
  if (!m) return null
  const h = Number(m[1])
  const min = Number(m[2])
  return h < 24 && min < 60 ? `${String(h).padStart(2, '0')}:${m[2]}` : null
}

export interface ClassFormContext {
  courses: Set<string>
  locations: Set<number>
  partners: Set<number>
  now: Date
  /** New classes must lie in the future; an edited class may keep past meetings. */
  allowPast: boolean
}

/** Validates the plan of a class; every message in Danish, next to its field or meeting row. */
export function validateClassForm (v: ClassFormValues, ctx: ClassFormContext): { ok: true, input: ClassInput } | { ok: false, errors: ClassErrors } {
  const errors: ClassErrors = {}
  if (!ctx.courses.has(v.course)) errors.course = 'Vælg et kursus fra kataloget.'
  const locationId = Number(v.location)
  if (!ctx.locations.has(locationId)) errors.location = 'Vælg et sted.'
  let partnerId: number | null = null
  if (v.partner !== '') {
    partnerId = Number(v.partner)
    if (!ctx.partners.has(partnerId)) errors.partner = 'Vælg en partner fra listen, eller ingen.'
  }
  const capacity = Number(v.capacity.trim())
  if (!/^\d{1,4}$/.test(v.capacity.trim()) || capacity < 1 || capacity > 500) errors.capacity = 'Skriv antal pladser som et tal fra 1 til 500.'
  const note = v.note.trim()
  if (note.length > 1000) errors.note = 'Skriv højst 1000 tegn.'
  const repeat = v.repeat_weeks.trim() === '' ? 1 : Number(v.repeat_weeks.trim())
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > MAX_REPEAT_WEEKS) errors.repeat_weeks = `Skriv et antal uger fra 1 til ${MAX_REPEAT_WEEKS}.`

  const meetings: ClassInput['meetings'] = []
  const seenIds = new Set<number>()
  v.meetings.forEach((m, i) => {
    const key = `meeting_${i + 1}` as const
    const id = m.id === '' ? undefined : Number(m.id)
    if (id !== undefined && (!/^[1-9]\d{0,9}$/.test(m.id) || id > 2147483647 || seenIds.has(id))) { errors[key] = `Mødegang ${i + 1}: siden er blevet forkert. Genindlæs siden, og prøv igen.`; return }
    if (id !== undefined) seenIds.add(id)
    // An empty row is no meeting; an emptied row with an id removes that meeting.
    if (m.date === '' && m.start === '' && m.end === '') return
    const start = readTime(m.start)
    const end = readTime(m.end)
    const day = DateTime.fromISO(m.date, { zone: ZONE })
    if (!/^\d{4}-\d{2}-\d{2}$/.test(m.date) || !day.isValid) { errors[key] = `Mødegang ${i + 1}: skriv datoen som åååå-mm-dd, fx 2027-03-02.`; return }
    if (start === null || end === null) { errors[key] = `Mødegang ${i + 1}: skriv start og slut som tt.mm, fx 10.00 og 12.00.`; return }
    const startsAt = DateTime.fromISO(`${m.date}T${start}`, { zone: ZONE })
    const endsAt = DateTime.fromISO(`${m.date}T${end}`, { zone: ZONE })
    if (endsAt <= startsAt) { errors[key] = `Mødegang ${i + 1}: slut skal være efter start.`; return }
    if (!ctx.allowPast && startsAt.toMillis() <= ctx.now.getTime()) { errors[key] = `Mødegang ${i + 1}: tidspunktet er allerede passeret.`; return }
    meetings.push({ ...(id === undefined ? {} : { id }), startsAt: startsAt.toUTC().toISO() as string, endsAt: endsAt.toUTC().toISO() as string })
  })
  if (meetings.length === 0 && !Object.keys(errors).some(k => k.startsWith('meeting_'))) errors.meetings = 'Skriv mindst én mødegang med dato, start og slut.'
  meetings.sort((a, b) => a.startsAt.localeCompare(b.startsAt))
  for (let i = 1; i < meetings.length; i++) {
    if (meetings[i]!.startsAt < meetings[i - 1]!.endsAt) errors.meetings = 'To mødegange overlapper hinanden.'
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors }
  return { ok: true, input: { courseSlug: v.course, locationId, partnerId, capacity, isPublic: v.is_public, waitlistMode: v.waitlist_mode === 'call' ? 'call' : 'auto', note: note === '' ? null : note, repeatWeeks: repeat, meetings } }
}

/** The most weeks "Kopiér holdet" moves a class's meetings forward: two years. */
export const MAX_COPY_WEEKS = 104

/** "Flyt alle mødegange N uger frem": a whole number from 0 to MAX_COPY_WEEKS, else 0 (a copy without meetings). */
export function readCopyWeeks (value: unknown): number {
  if (typeof value !== 'string' || !/^\s*\d{1,3}\s*$/.test(value)) return 0
  const n = Number(value.trim())
  return n <= MAX_COPY_WEEKS ? n : 0
}

/** The meetings of the n-th weekly copy (0 = the class itself), same wall-clock time; new meetings, no ids. */
export function shiftWeeks (meetings: ClassInput['meetings'], weeks: number): ClassInput['meetings'] {
  const shift = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' }).setZone(ZONE).plus({ weeks }).toUTC().toISO() as string
  return meetings.map(m => ({ startsAt: shift(m.startsAt), endsAt: shift(m.endsAt) }))
}

export interface MeetingPlan {
  /** Existing meetings that stay, by id, with their (perhaps new) times. */
  keep: Array<{ id: number, startsAt: string, endsAt: string }>
  add: Array<{ startsAt: string, endsAt: string }>
  /** Existing meetings that are no longer wanted. */
  remove: number[]
  /** Ids that are not meetings of this class. */
  unknown: number[]
}

/**
 * Matches the wanted meetings to a class's meetings by id, never by position: a
 * meeting named by its id keeps its row (and its attendance) whatever its new time; a
 * meeting without an id that starts when an unnamed existing one starts is that one;
 * the rest are new. Existing meetings nobody named are removed.
 */
export function planMeetings (existing: Array<{ id: number, starts_at: string }>, wanted: PlannedMeeting[]): MeetingPlan {
  const existingIds = new Set(existing.map(m => m.id))
  const named = new Set(wanted.flatMap(m => m.id === undefined ? [] : [m.id]))
  const plan: MeetingPlan = { keep: [], add: [], remove: [], unknown: [] }
  const claimed = new Set<number>()
  for (const m of wanted) {
    if (m.id !== undefined) {
      if (existingIds.has(m.id)) { plan.keep.push({ id: m.id, startsAt: m.startsAt, endsAt: m.endsAt }); claimed.add(m.id) } else plan.unknown.push(m.id)
    }
  }
  for (const m of wanted) {
    if (m.id !== undefined) continue
    const same = existing.find(e => !claimed.has(e.id) && !named.has(e.id) && Date.parse(e.starts_at) === Date.parse(m.startsAt))
    if (same) { plan.keep.push({ id: same.id, startsAt: m.startsAt, endsAt: m.endsAt }); claimed.add(same.id) } else plan.add.push({ startsAt: m.startsAt, endsAt: m.endsAt })
  }
  plan.remove = existing.filter(e => !claimed.has(e.id)).map(e => e.id)
  return plan
}
