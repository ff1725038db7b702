import { DateTime } from 'luxon'
import { type Db, readSnapshot } from '../db/connection.ts'
import { topicLabel } from '../domain/catalogue-vocabulary.ts'
import { scopeLabel } from '../domain/milestones.ts'
import { ZONE, copenhagenMonth } from '../domain/time.ts'
import { listAllLocations } from '../repositories/location-repository.ts'
import {
  type CountRow, type MeetingAttendance, type Span, countSeats, countUnmetDemand, describeParticipants,
  listAttendanceByMeeting, listMeetingSeats, listMilestonesReached, listSeatBookings, listVolunteerMinutes
} from '../repositories/report-repository.ts'
import { type RefillTally, addTally, emptyTally, heldSeatAt, noShowCutoff, tallyRefills } from '../domain/no-shows.ts'

/** A report period: Copenhagen dates, both days included. */
export interface Period { from: string, to: string }

const DATE = /^\d{4}-\d{2}-\d{2}$/

/**
 * Reads ?fra=&til= into a period. Missing or broken values give this year so far; a
 * period the wrong way round or longer than ten years is refused with a Danish message.
 */
export function readPeriod (fra: string | undefined, til: string | undefined, now: Date = new Date()): { period: Period, error?: string } {
  const today = DateTime.fromJSDate(now).setZone(ZONE)
  const fallback = { from: today.startOf('year').toISODate() as string, to: today.toISODate() as string }
  if (fra === undefined && til === undefined) return { period: fallback }
  const valid = (s: string | undefined) => s !== undefined && DATE.test(s) && DateTime.fromISO(s, { zone: ZONE }).isValid
  if (!valid(fra) || !valid(til)) return { period: fallback, error: 'Skriv datoerne som år-måned-dag, fx 2026-01-01.' }
  const period = { from: fra as string, to: til as string }
  if (period.from > period.to) return { period: fallback, error: 'Fra-datoen skal ligge før til-datoen.' }
  if (DateTime.fromISO(period.to).diff(DateTime.fromISO(period.from), 'years').years > 10) return { period: fallback, error: 'Vælg en periode på højst ti år.' }
  return { period }
}

export function spanOf (period: Period): Span {
  return {
    from: DateTime.fromISO(period.from, { zone: ZONE }).startOf('day').toUTC().toISO() as string,
    to: DateTime.fromISO(period.to, { zone: ZONE }).plus({ days: 1 }).startOf('day').toUTC().toISO() as string
  }
}

export const AGE_BANDS = ['Under 60 år', '60–69 år', '70–79 år', '80–89 år', '90 år og derover', 'Ikke oplyst'] as const

function ageBand (birthYear: number | null, year: number): typeof AGE_BANDS[number] {
  if (birthYear === null) return 'Ikke oplyst'
  const age = year - birthYear
  return age < 60 ? 'Under 60 år' : age < 70 ? '60–69 år' : age < 80 ? '70–79 år' : age < 90 ? '80–89 år' : '90 år og derover'
}

const byLabel = (a: { label: string }, b: { label: string }) => a.label.localeCompare(b.label, 'da')
/** Text in the order of its UTF-16 code units, as SQLite sorts it. */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
/** Places and partners: in Danish order by name, the same name by id. */
const byName = (a: { label: string, id: number }, b: { label: string, id: number }) => byLabel(a, b) || byCodeUnits(a.label, b.label) || a.id - b.id

const rate = (part: number, whole: number) => (whole === 0 ? null : part / whole)

const MONTHS = ['januar', 'februar', 'marts', 'april', 'maj', 'juni', 'juli', 'august', 'september', 'oktober', 'november', 'december']

export interface Report {
  period: Period
  generatedAt: string
  totals: { attendances: number, participants: number, walkIns: number, newParticipants: number, returningParticipants: number }
  byMonth: CountRow[]
  byTopic: CountRow[]
  byLocation: CountRow[]
  byPartner: CountRow[]
  ageBands: Array<{ label: string, participants: number }>
  seats: { rows: Array<{ label: string, classes: number, capacity: number, taken: number, fillRate: number | null }>, classes: number, capacity: number, taken: number, fillRate: number | null }
  shows: { rows: Array<{ label: string, expected: number, attended: number, noShows: number, noShowRate: number | null }>, expected: number, attended: number, noShows: number, noShowRate: number | null }
  unmetDemand: { rows: Array<{ label: string, waiting: number, classes: number }>, waiting: number }
  volunteers: { rows: Array<{ name: string, task: string, meetings: number, hours: number }>, hours: number, people: number }
  milestones: Array<{ number: number, scopeLabel: string, reachedAt: string, locationName: string, courseTitle: string }>
  /** Booked meeting-seats and no-shows at meetings whose day has passed (domain/no-shows.ts). */
  noShows: { byCourse: NoShowRow[], byPlace: NoShowRow[], byMonth: NoShowRow[], total: NoShowRow }
  /** Seats given up before the class began, and how they were filled again, per place. */
  refills: { rows: RefillRow[], total: RefillRow }
}

export interface NoShowRow { label: string, booked: number, attended: number, noShows: number, noShowRate: number | null }
export interface RefillRow extends RefillTally { label: string, share: number | null }

/** Meeting-seats summed per key, in the order each key is first met. */
function noShowRows<T extends { booked: number, attended: number }> (rows: T[], keyOf: (r: T) => string, labelOf: (r: T) => string): NoShowRow[] {
  const sums = new Map<string, NoShowRow>()
  for (const r of rows) {
    const key = keyOf(r)
    const row = sums.get(key) ?? { label: labelOf(r), booked: 0, attended: 0, noShows: 0, noShowRate: null }
    row.booked += r.booked
    row.attended += r.attended
    sums.set(key, row)
  }
  return [...sums.values()].map(r => ({ ...r, noShows: r.booked - r.attended, noShowRate: rate(r.booked - r.attended, r.booked) }))
}

/** Each participant's small number (the order in which they are first met), for the ids given. */
function numbered (ids: number[], numbers: Map<number, number>): number[] {
  const out = new Array<number>(ids.length)
  for (let i = 0; i < ids.length; i++) {
    let n = numbers.get(ids[i]!)
    if (n === undefined) numbers.set(ids[i]!, n = numbers.size)
    out[i] = n
  }
  return out
}

/** How many of the participants given by number were not yet counted in `group`; marks them. */
function countOnce (participants: number[], lastCounted: Int32Array, group: number): number {
  let n = 0
  for (let i = 0; i < participants.length; i++) {
    const p = participants[i]!
    if (lastCounted[p] !== group) { lastCounted[p] = group; n++ }
  }
  return n
}

/**
 * Attendances and distinct participants per key (month, topic, place or partner), and in
 * all, from the span's meetings. The participants of a row are counted once however
 * often they came, so rows add up to the attendances but not to the participants.
 * Each participant gets a small number first, so that counting them once per row is a
 * look in an array, not a set per row (a year has 100,000 attendances, five times over);
 * the loops are small functions, which V8 optimises within the first report.
 */
function countAttendances (meetings: MeetingAttendance[]) {
  const numbers = new Map<number, number>()
  const who = meetings.map(m => numbered(m.participantIds, numbers))
  const lastCounted = new Int32Array(numbers.size)
  let group = 0
  const table = (keyOf: (m: MeetingAttendance) => string, idOf: (m: MeetingAttendance) => number, labelOf: (m: MeetingAttendance) => string) => {
    const rows = new Map<string, { id: number, key: string, label: string, attendances: number, participants: number, meetings: number[] }>()
    meetings.forEach((m, i) => {
      const key = keyOf(m)
      let row = rows.get(key)
      if (row === undefined) rows.set(key, row = { id: idOf(m), key, label: labelOf(m), attendances: 0, participants: 0, meetings: [] })
      row.attendances += m.attendances
      row.meetings.push(i)
    })
    return [...rows.values()].map(({ meetings: of, ...row }) => {
      group++
      for (const i of of) row.participants += countOnce(who[i]!, lastCounted, group)
      return row
    })
  }
  const plain = ({ key, label, attendances, participants }: CountRow) => ({ key, label, attendances, participants })
  const partners = table(m => m.partnerId === null ? 'none' : String(m.partnerId), m => m.partnerId ?? 0, m => m.partnerName ?? '')
  return {
    participantIds: [...numbers.keys()],
    totals: { attendances: meetings.reduce((n, m) => n + m.attendances, 0), participants: numbers.size, walkIns: meetings.reduce((n, m) => n + m.walkIns, 0) },
    byMonth: table(m => m.month, () => 0, m => m.month).sort((a, b) => byCodeUnits(a.key, b.key)).map(r => ({ ...plain(r), label: monthLabel(r.key) })),
    byTopic: table(m => m.topic, () => 0, m => m.topic).sort((a, b) => byCodeUnits(a.key, b.key)).map(r => ({ ...plain(r), label: topicLabel(r.key) })),
    byLocation: table(m => String(m.locationId), m => m.locationId, m => m.locationName).sort(byName).map(plain),
    // Named partners in alphabetical order, then classes without a partner.
    byPartner: partners.filter(r => r.key !== 'none').sort(byName).map(plain).concat(partners.filter(r => r.key === 'none').map(r => ({ ...plain(r), label: 'Uden partner' })))
  }
}

const monthLabel = (key: string) => `${MONTHS[Number(key.slice(5, 7)) - 1] ?? ''} ${key.slice(0, 4)}`

/**
 * The numbers for a period, for the leaders' dashboard, the printed report and the
 * spreadsheets alike. Attendances are counted at meetings that start in the period;
 * every breakdown of attendances adds up to the total, as do new plus returning
 * participants and the age bands. Names of participants are never part of a report.
 * All of it is read from one snapshot, so a booking or check-in made meanwhile is in every
 * number or in none.
 */
export async function buildReport (db: Db, period: Period, now: Date = new Date()): Promise<Report> {
  const span = spanOf(period)
  const at = now.toISOString()
  const cutoff = noShowCutoff(now)
  const { meetings, counted, people, seats, seatsHeld, unmet, volunteers, milestones, locations, seatBookings } = await readSnapshot(db, async (tx, beside) => {
    // The attendances and then their participants (the longest passes) on the transaction,
    // the rest beside them in the same snapshot.
    const [{ meetings, counted, people }, [seats, seatsHeld, unmet, volunteers, milestones, locations, seatBookings]] = await Promise.all([
      (async () => {
        const meetings = await listAttendanceByMeeting(tx, span)
        const counted = countAttendances(meetings)
        // The participants of the span, as read with their attendances: by birth year, and whether they came before.
        const people = await describeParticipants(tx, counted.participantIds, span.from)
        return { meetings, counted, people }
      })(),
      beside(async other => await Promise.all([
        countSeats(other, span), listMeetingSeats(other, span, at), countUnmetDemand(other, span),
        listVolunteerMinutes(other, span, at), listMilestonesReached(other, span), listAllLocations(other), listSeatBookings(other, span)
      ]))
    ])
    return { meetings, counted, people, seats, seatsHeld, unmet, volunteers, milestones, locations, seatBookings }
  })
  // Shows: booked seats at meetings that have begun; no-shows: at meetings whose Copenhagen day has passed.
  const used = new Map(meetings.map(m => [m.meetingId, m.seatsUsed]))
  const seatsAtMeetings = seatsHeld
    .map(m => ({
      startsAt: m.startsAt,
      courseSlug: m.courseSlug,
      courseTitle: m.courseTitle,
      locationId: m.locationId,
      locationName: m.locationName,
      booked: m.heldThroughout + m.others.filter(b => heldSeatAt(b, m.startsAt)).length,
      attended: used.get(m.meetingId) ?? 0
    }))
    .filter(m => m.booked > 0)
  const showsByPlace = new Map<number, { id: number, label: string, expected: number, attended: number }>()
  for (const m of seatsAtMeetings) {
    const place = showsByPlace.get(m.locationId) ?? { id: m.locationId, label: m.locationName, expected: 0, attended: 0 }
    place.expected += m.booked
    place.attended += m.attended
    showsByPlace.set(m.locationId, place)
  }
  const shows = [...showsByPlace.values()].sort(byName)
  const meetingSeats = seatsAtMeetings.filter(m => m.startsAt < cutoff)
  const refYear = Number(period.to.slice(0, 4))
  const years = new Map<number | null, number>()
  for (const year of people.birthYears) years.set(year, (years.get(year) ?? 0) + 1)
  const bands = new Map<string, number>(AGE_BANDS.map(b => [b, 0]))
  for (const [year, n] of years) bands.set(ageBand(year, refYear), (bands.get(ageBand(year, refYear)) ?? 0) + n)
  const sum = <T>(rows: T[], f: (r: T) => number) => rows.reduce((n, r) => n + f(r), 0)
  const seatRows = seats.sort(byLabel).map(s => ({ label: s.label, classes: s.classes, capacity: s.capacity, taken: s.taken, fillRate: rate(s.taken, s.capacity) }))
  const showRows = shows.map(s => ({ label: s.label, expected: s.expected, attended: s.attended, noShows: s.expected - s.attended, noShowRate: rate(s.expected - s.attended, s.expected) }))
  const volunteerRows = volunteers.map(v => ({ name: v.name, task: v.task === 'instructor' ? 'Underviser' : 'Hjælper', meetings: v.meetings, hours: Math.round(v.minutes / 6) / 10 }))
  const names = { locations: new Map(locations.map(l => [l.id, l.name])), topicLabel }
  // The Copenhagen month of each start, worked out once per start (meetings share starts).
  const months = new Map<string, string>()
  const month = (m: typeof meetingSeats[number]) => {
    let key = months.get(m.startsAt)
    if (key === undefined) months.set(m.startsAt, key = copenhagenMonth(m.startsAt))
    return key
  }
  // Freed seats and refills are counted per class, then summed per place.
  const classes = new Map<number, typeof seatBookings>()
  for (const b of seatBookings) classes.set(b.classId, [...(classes.get(b.classId) ?? []), b])
  const places = new Map<number, RefillRow>()
  for (const list of classes.values()) {
    const c = list[0]!
    const place = places.get(c.locationId) ?? { label: c.locationName, share: null, ...emptyTally() }
    places.set(c.locationId, { ...place, ...addTally(place, tallyRefills(list, c.firstStartsAt, c.firstEndsAt)) })
  }
  const refillRows = [...places.values()].filter(r => r.freed > 0).sort(byLabel).map(r => ({ ...r, share: rate(r.refilled, r.freed) }))
  const refillTotal = refillRows.reduce<RefillTally>((t, r) => addTally(t, r), emptyTally())
  return {
    period,
    generatedAt: at,
    totals: { ...counted.totals, newParticipants: counted.totals.participants - people.returning, returningParticipants: people.returning },
    byMonth: counted.byMonth,
    byTopic: counted.byTopic,
    byLocation: counted.byLocation,
    byPartner: counted.byPartner,
    ageBands: AGE_BANDS.map(label => ({ label, participants: bands.get(label) ?? 0 })),
    seats: { rows: seatRows, classes: sum(seats, s => s.classes), capacity: sum(seats, s => s.capacity), taken: sum(seats, s => s.taken), fillRate: rate(sum(seats, s => s.taken), sum(seats, s => s.capacity)) },
    shows: { rows: showRows, expected: sum(shows, s => s.expected), attended: sum(shows, s => s.attended), noShows: sum(showRows, s => s.noShows), noShowRate: rate(sum(showRows, s => s.noShows), sum(shows, s => s.expected)) },
    unmetDemand: { rows: unmet.map(u => ({ label: u.label, waiting: u.waiting, classes: u.classes })), waiting: sum(unmet, u => u.waiting) },
    // The total is the sum of the rounded rows, so the table adds up as printed.
    volunteers: { rows: volunteerRows, hours: Math.round(sum(volunteerRows, v => v.hours) * 10) / 10, people: new Set(volunteers.map(v => v.staffUserId)).size },
    milestones: milestones.map(m => ({ number: m.number, scopeLabel: scopeLabel(m.scope, names), reachedAt: m.reachedAt, locationName: m.locationName, courseTitle: m.courseTitle })),
    noShows: {
      byCourse: noShowRows(meetingSeats, m => m.courseSlug, m => m.courseTitle).sort(byLabel),
      byPlace: noShowRows(meetingSeats, m => String(m.locationId), m => m.locationName).sort(byLabel),
      byMonth: noShowRows(meetingSeats, month, m => monthLabel(month(m))),
      total: noShowRows(meetingSeats, () => 'all', () => 'I alt')[0] ?? { label: 'I alt', booked: 0, attended: 0, noShows: 0, noShowRate: null }
    },
    refills: { rows: refillRows, total: { label: 'I alt', ...refillTotal, share: rate(refillTotal.refilled, refillTotal.freed) } }
  }
}

/** "43 %", or "–" when there is nothing to divide by. */
export function formatRate (value: number | null): string {
  return value === null ? '–' : `${Math.round(value * 100).toLocaleString('da-DK')} %`
}
