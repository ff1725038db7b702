import { DateTime } from 'luxon'
import { type Db, readSnapshot } from '../db/connection.ts'
import { topicLabel } from '../domain/catalogue-vocabulary.ts'
import { scopeLabel } from '../domain/milestones.ts'
import { ZONE, copenhagenMonth } from '../domain/time.ts'
import { listAllLocations } from '../repositories/location-repository.ts'
import {
  type CountRow, type Span, countByBirthYear, countByLocation, countByMonth, countByPartner, countByTopic, countNewAndReturning,
  countSeats, countShows, countTotals, countUnmetDemand, listMilestonesReached, listVolunteerMinutes, countMeetingSeats, listSeatBookings
} from '../repositories/report-repository.ts'
import { type RefillTally, addTally, emptyTally, noShowCutoff, tallyRefills } from '../domain/no-shows.ts'

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
function noShowRows<T> (rows: T[], keyOf: (r: T) => string, labelOf: (r: T) => string, counts: (r: T) => { booked: number, attended: number }): NoShowRow[] {
  const sums = new Map<string, NoShowRow>()
  for (const r of rows) {
    const key = keyOf(r)
    const row = sums.get(key) ?? { label: labelOf(r), booked: 0, attended: 0, noShows: 0, noShowRate: null }
    const c = counts(r)
    row.booked += c.booked
    row.attended += c.attended
    sums.set(key, row)
  }
  return [...sums.values()].map(r => ({ ...r, noShows: r.booked - r.attended, noShowRate: rate(r.booked - r.attended, r.booked) }))
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
  const [totals, byMonth, byTopic, byLocation, byPartner, split, years, seats, shows, unmet, volunteers, milestones, locations, meetingSeats, seatBookings] = await readSnapshot(db, async tx => await Promise.all([
    countTotals(tx, span), countByMonth(tx, span), countByTopic(tx, span), countByLocation(tx, span), countByPartner(tx, span),
    countNewAndReturning(tx, span), countByBirthYear(tx, span), countSeats(tx, span), countShows(tx, span, at),
    countUnmetDemand(tx, span), listVolunteerMinutes(tx, span, at), listMilestonesReached(tx, span), listAllLocations(tx),
    countMeetingSeats(tx, span, noShowCutoff(now)), listSeatBookings(tx, span)
  ]))
  const refYear = Number(period.to.slice(0, 4))
  const bands = new Map<string, number>(AGE_BANDS.map(b => [b, 0]))
  for (const y of years) bands.set(ageBand(y.birthYear, refYear), (bands.get(ageBand(y.birthYear, refYear)) ?? 0) + y.participants)
  const sum = <T>(rows: T[], f: (r: T) => number) => rows.reduce((n, r) => n + f(r), 0)
  const seatRows = seats.sort(byLabel).map(s => ({ label: s.label, classes: s.classes, capacity: s.capacity, taken: s.taken, fillRate: rate(s.taken, s.capacity) }))
  const showRows = shows.sort(byLabel).map(s => ({ label: s.label, expected: s.expected, attended: s.attended, noShows: s.expected - s.attended, noShowRate: rate(s.expected - s.attended, s.expected) }))
  const volunteerRows = volunteers.map(v => ({ name: v.name, task: v.task === 'instructor' ? 'Underviser' : 'Hjælper', meetings: v.meetings, hours: Math.round(v.minutes / 6) / 10 }))
  const names = { locations: new Map(locations.map(l => [l.id, l.name])), topicLabel }
  const seatCounts = (m: typeof meetingSeats[number]) => ({ booked: m.booked, attended: m.attended })
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
    totals: { ...totals, newParticipants: split.new, returningParticipants: split.returning },
    byMonth: byMonth.map(r => ({ ...r, label: `${MONTHS[Number(r.key.slice(5, 7)) - 1] ?? ''} ${r.key.slice(0, 4)}` })),
    byTopic: byTopic.map(r => ({ ...r, label: topicLabel(r.key) })),
    byLocation: byLocation.sort(byLabel),
    // Named partners in alphabetical order, then classes without a partner (the same on every database).
    byPartner: byPartner.filter(r => r.key !== 'none').sort(byLabel).concat(byPartner.filter(r => r.key === 'none').map(r => ({ ...r, label: 'Uden partner' }))),
    ageBands: AGE_BANDS.map(label => ({ label, participants: bands.get(label) ?? 0 })),
    seats: { rows: seatRows, classes: sum(seats, s => s.classes), capacity: sum(seats, s => s.capacity), taken: sum(seats, s => s.taken), fillRate: rate(sum(seats, s => s.taken), sum(seats, s => s.capacity)) },
    shows: { rows: showRows, expected: sum(shows, s => s.expected), attended: sum(shows, s => s.attended), noShows: sum(showRows, s => s.noShows), noShowRate: rate(sum(showRows, s => s.noShows), sum(shows, s => s.expected)) },
    unmetDemand: { rows: unmet.map(u => ({ label: u.label, waiting: u.waiting, classes: u.classes })), waiting: sum(unmet, u => u.waiting) },
    // The total is the sum of the rounded rows, so the table adds up as printed.
    volunteers: { rows: volunteerRows, hours: Math.round(sum(volunteerRows, v => v.hours) * 10) / 10, people: new Set(volunteers.map(v => v.staffUserId)).size },
    milestones: milestones.map(m => ({ number: m.number, scopeLabel: scopeLabel(m.scope, names), reachedAt: m.reachedAt, locationName: m.locationName, courseTitle: m.courseTitle })),
    noShows: {
      byCourse: noShowRows(meetingSeats, m => m.courseSlug, m => m.courseTitle, seatCounts).sort(byLabel),
      byPlace: noShowRows(meetingSeats, m => String(m.locationId), m => m.locationName, seatCounts).sort(byLabel),
      byMonth: noShowRows(meetingSeats, month, m => monthLabel(month(m)), seatCounts),
      total: noShowRows(meetingSeats, () => 'all', () => 'I alt', seatCounts)[0] ?? { label: 'I alt', booked: 0, attended: 0, noShows: 0, noShowRate: null }
    },
    refills: { rows: refillRows, total: { label: 'I alt', ...refillTotal, share: rate(refillTotal.refilled, refillTotal.freed) } }
  }
}

/** "43 %", or "–" when there is nothing to divide by. */
export function formatRate (value: number | null): string {
  return value === null ? '–' : `${Math.round(value * 100).toLocaleString('da-DK')} %`
}
