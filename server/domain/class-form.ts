import { DateTime } from 'luxon'
import { ZONE } from './time.ts'
import type { ConfirmMode, WaitlistMode } from '../db/schema.ts'

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
  /** Hours to answer an offered seat ('offer' mode). */
  offer_hours: string
  /** "Kommer du?": 'auto' | 'always' | 'off'. */
  confirm_mode: string
  confirm_days: string
  /** Hours before the start that unconfirmed seats are released; '' for never. */
  release_hours: string
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
  waitlistMode: WaitlistMode
  /** Absent: the class keeps what it has (new classes: 24 hours, "Kommer du?" when people wait, 3 days, never released). */
  offerHours?: number
  confirmMode?: ConfirmMode
  confirmDays?: number
  releaseHours?: number | null
  note: string | null
  /** 1 = just this class; N = this class and the same every week, N classes in all. */
  repeatWeeks: number
  meetings: PlannedMeeting[]
}

export type ClassErrors = Partial<Record<'course' | 'location' | 'partner' | 'capacity' | 'offer_hours' | 'confirm_days' | 'release_hours' | 'note' | 'repeat_weeks' | 'meetings' | `meeting_${number}`, string>>

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
    offer_hours: text(b, 'offer_hours'),
    confirm_mode: text(b, 'confirm_mode'),
    confirm_days: text(b, 'confirm_days'),
    release_hours: text(b, 'release_hours'),
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

/** What a class plan is checked against, besides the plan itself. */
export interface ClassPlanContext {
  /** The catalogue's courses, by slug. */
  courses: Set<string>
  /** Every place and every partner by id: true if archived. */
  locations: Map<number, boolean>
  partners: Map<number, boolean>
  /**
   * The class as it is, when a class is changed: it keeps its place and partner if they
   * have been archived since, and may keep meetings in the past. null for a new class.
   */
  current: { locationId: number, partnerId: number | null } | null
  now: Date
}

export type ClassPlanField = 'course' | 'location' | 'partner' | 'capacity' | 'note' | 'meetings'

/** A rule the plan breaks: its field (for one meeting, also its place in the plan's list) and a Danish message. */
export interface ClassPlanProblem { field: ClassPlanField, meeting?: number, message: string }

/**
 * The rules of a class plan, the same for the staff form and the API: the course is in
 * the catalogue; the place and the partner exist and are not archived, unless the class
 * already has them; 1 to 500 seats; a note of at most 1000 characters; 1 to MAX_MEETINGS
 * meetings, each ending after it starts, none in the past on a new class, and no two
 * overlapping. A message about one meeting leaves naming it to the caller.
 */
export function checkClassPlan (plan: Omit<ClassInput, 'repeatWeeks'>, ctx: ClassPlanContext): ClassPlanProblem[] {
  const problems: ClassPlanProblem[] = []
  const add = (field: ClassPlanField, message: string, meeting?: number) => { problems.push({ field, message, ...(meeting === undefined ? {} : { meeting }) }) }
  if (!ctx.courses.has(plan.courseSlug)) add('course', 'Vælg et kursus fra kataloget.')
  const locationArchived = ctx.locations.get(plan.locationId)
  if (locationArchived === undefined) add('location', 'Vælg et sted.')
  else if (locationArchived && plan.locationId !== ctx.current?.locationId) add('location', 'Stedet er arkiveret. Vælg et andet sted.')
  if (plan.partnerId !== null) {
    const partnerArchived = ctx.partners.get(plan.partnerId)
    if (partnerArchived === undefined) add('partner', 'Vælg en partner fra listen, eller ingen.')
    else if (partnerArchived && plan.partnerId !== ctx.current?.partnerId) add('partner', 'Partneren er arkiveret. Vælg en anden partner, eller ingen.')
  }
  if (!Number.isInteger(plan.capacity) || plan.capacity < 1 || plan.capacity > 500) add('capacity', 'Skriv antal pladser som et tal fra 1 til 500.')
  if ((plan.note ?? '').length > 1000) add('note', 'Skriv højst 1000 tegn.')

  if (plan.meetings.length === 0) add('meetings', 'Skriv mindst én mødegang med dato, start og slut.')
  if (plan.meetings.length > MAX_MEETINGS) add('meetings', `Skriv højst ${MAX_MEETINGS} mødegange.`)
  const times: Array<{ start: number, end: number }> = []
  plan.meetings.forEach((m, i) => {
    const start = Date.parse(m.startsAt)
    const end = Date.parse(m.endsAt)
    if (!(end > start)) { add('meetings', 'slut skal være efter start.', i); return }
    if (ctx.current === null && start <= ctx.now.getTime()) add('meetings', 'tidspunktet er allerede passeret.', i)
    times.push({ start, end })
  })
  times.sort((a, b) => a.start - b.start)
  if (times.some((t, i) => i > 0 && t.start < times[i - 1]!.end)) add('meetings', 'To mødegange overlapper hinanden.')
  return problems
}

/**
 * Reads the staff form's plan of a class and checks it by the rules of checkClassPlan;
 * every message in Danish, next to its field or meeting row.
 */
export function validateClassForm (v: ClassFormValues, ctx: ClassPlanContext): { ok: true, input: ClassInput } | { ok: false, errors: ClassErrors } {
  const errors: ClassErrors = {}
  const locationId = v.location === '' ? 0 : Number(v.location)
  const partnerId = v.partner === '' ? null : Number(v.partner)
  const capacity = Number(v.capacity.trim())
  if (!/^\d{1,4}$/.test(v.capacity.trim())) errors.capacity = 'Skriv antal pladser som et tal fra 1 til 500.'
  const note = v.note.trim()
  const repeat = v.repeat_weeks.trim() === '' ? 1 : Number(v.repeat_weeks.trim())
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > MAX_REPEAT_WEEKS) errors.repeat_weeks = `Skriv et antal uger fra 1 til ${MAX_REPEAT_WEEKS}.`

  const meetings: ClassInput['meetings'] = []
  /** The form row of each meeting read. */
  const rows: number[] = []
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
    meetings.push({ ...(id === undefined ? {} : { id }), startsAt: startsAt.toUTC().toISO() as string, endsAt: endsAt.toUTC().toISO() as string })
    rows.push(i + 1)
  })

  const offerHours = wholeNumber(v.offer_hours, 24)
  if (offerHours === null || offerHours < 1 || offerHours > 168) errors.offer_hours = 'Skriv antal timer fra 1 til 168 (en uge).'
  const confirmDays = wholeNumber(v.confirm_days, 3)
  if (confirmDays === null || confirmDays < 1 || confirmDays > 14) errors.confirm_days = 'Skriv antal dage fra 1 til 14.'
  const releaseHours = v.release_hours.trim() === '' ? null : wholeNumber(v.release_hours, 0)
  if (releaseHours !== null && (releaseHours < 1 || releaseHours > 72)) errors.release_hours = 'Skriv antal timer fra 1 til 72, eller lad feltet stå tomt.'
  const waitlistMode: WaitlistMode = v.waitlist_mode === 'call' ? 'call' : v.waitlist_mode === 'offer' ? 'offer' : 'auto'
  const confirmMode: ConfirmMode = v.confirm_mode === 'always' ? 'always' : v.confirm_mode === 'off' ? 'off' : 'auto'
  const plan = {
    courseSlug: v.course,
    locationId,
    partnerId,
    capacity,
    isPublic: v.is_public,
    waitlistMode,
    offerHours: offerHours ?? 24,
    confirmMode,
    confirmDays: confirmDays ?? 3,
    releaseHours: releaseHours ?? null,
    note: note === '' ? null : note,
    meetings
  }
  const rowErrors = Object.keys(errors).some(k => k.startsWith('meeting_'))
  for (const p of checkClassPlan(plan, ctx)) {
    if (p.meeting !== undefined) errors[`meeting_${rows[p.meeting]!}`] ??= `Mødegang ${rows[p.meeting]!}: ${p.message}`
    // No meeting read because every row written has a mistake: the rows say so.
    else if (p.field === 'meetings' && meetings.length === 0 && rowErrors) continue
    else errors[p.field] ??= p.message
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors }
  meetings.sort((a, b) => a.startsAt.localeCompare(b.startsAt))
  return { ok: true, input: { ...plan, repeatWeeks: repeat, meetings } }
}

/** A whole number as typed ("24", " 3 "); `fallback` for an empty field; null when it is not one. */
function wholeNumber (value: string, fallback: number): number | null {
  const trimmed = value.trim()
  if (trimmed === '') return fallback
  return /^\d{1,4}$/.test(trimmed) ? Number(trimmed) : null
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
