import { DateTime } from 'luxon'
import type { DbOrTx } from '../db/connection.ts'
import type { NewBooking, StaffTask } from '../db/schema.ts'
import { newBookingToken } from '../domain/booking-token.ts'
import { newCheckinCode } from '../domain/checkin-code.ts'
import { WITHOUT_NEEDS_OR_BOOKER } from './booking-repository.ts'
import { isMilestone, scopesOf } from '../domain/milestones.ts'
import { ZONE, toStoredIso } from '../domain/time.ts'

export interface PastHistoryOptions {
  places: number[]
  courses: string[]
  /** People who came at least once: the count the milestones start from. */
  participants: number
  now: Date
  rand: () => number
  /** A name for the n-th person, drawn the same way every time. */
  nameOf: (n: number) => string
  instructors: number[]
  helpers: number[]
}

/** Classes per month relative to an ordinary month: the summer break, a quiet December. */
const SEASON = [0, 1, 1.1, 1.2, 1, 0.9, 0.6, 0.1, 0.7, 1.2, 1.2, 1.1, 0.5]
const CLASSES = 220
const NO_SHOW = 0.08
const MISSES_SECOND_MEETING = 0.1

/**
 * Demo only: three years of past classes as a library has them. Fewer classes in the
 * summer; people who come back for another course; instructors' and volunteers' hours;
 * some who booked and did not come, some who cancelled, some left on the waiting list;
 * now and then a class cancelled by the organiser. Check-ins are counted in each scope as
 * a check-in would count them, with the milestones the rules celebrate. Written in the
 * order the meetings happened, the same every time for the same `rand`.
 */
export async function seedPastHistory (tx: DbOrTx, opts: PastHistoryOptions): Promise<void> {
  if (opts.courses.length === 0) return
  const { rand } = opts
  const pick = <T>(list: T[]): T => list[Math.floor(rand() * list.length)] as T
  const topics = new Map((await tx.selectFrom('courses').select(['slug', 'topic']).execute()).map(c => [c.slug, c.topic]))
  const rules = await tx.selectFrom('milestone_rules').selectAll().execute()
  const used = new Set((await tx.selectFrom('bookings').select('checkin_code').execute()).map(r => r.checkin_code))
  const at = opts.now.toISOString()
  const counts = new Map<string, number>()
  const firstIn = new Set<string>()
  const pool: number[] = []
  const persons = new Map<number, { name: string, birthYear: number | null }>()
  let made = 0

  const newPerson = async (when: string): Promise<number> => {
    const name = opts.nameOf(persons.size + 1)
    const birthYear = rand() < 0.7 ? 1935 + Math.floor(rand() * 40) : null
    const { id } = await tx.insertInto('participants').values({ name, phone: null, email: null, birth_year: birthYear, created_at: when }).returning('id').executeTakeFirstOrThrow()
    persons.set(id, { name, birthYear })
    return id
  }
  type BookingValues = Pick<NewBooking, 'class_id' | 'participant_id' | 'status' | 'created_at' | 'confirmed_at'> & Partial<NewBooking>
  /** A booking row as the booking form would have made it, with a check-in code of its own. */
  const bookingRow = (values: BookingValues): NewBooking => {
    let code = newCheckinCode()
    while (used.has(code)) code = newCheckinCode()
    used.add(code)
    const person = persons.get(values.participant_id)
    return {
      token: newBookingToken(),
      checkin_code: code,
      source: rand() < 0.3 ? 'phone' : 'online',
      person_name: person?.name ?? null,
      person_birth_year: person?.birthYear ?? null,
      ...WITHOUT_NEEDS_OR_BOOKER,
      cancelled_at: null,
      cancelled_by: null,
      ...values
    }
  }

  // The class dates: spread over three years, as many per month as the season allows.
  const first = DateTime.fromJSDate(opts.now).setZone(ZONE).minus({ years: 3 }).startOf('month')
  const months = Array.from({ length: 36 }, (_, i) => first.plus({ months: i }))
  const weight = months.reduce((sum, m) => sum + (SEASON[m.month] ?? 1), 0)
  const starts: DateTime[] = []
  let carry = 0
  for (const month of months) {
    carry += (CLASSES * (SEASON[month.month] ?? 1)) / weight
    const n = Math.floor(carry)
    carry -= n
    for (let i = 0; i < n; i++) {
      let day = month.plus({ days: Math.floor(rand() * month.daysInMonth!) })
      while (day.weekday > 5) day = day.plus({ days: 1 })
      starts.push(day.set({ hour: pick([10, 10, 13, 17]), minute: 0 }))
    }
  }
  starts.sort((a, b) => a.toMillis() - b.toMillis())
  const past = starts.filter(s => s.plus({ weeks: 1 }).toJSDate() < opts.now)
  const isCancelled = (c: number) => c % 37 === 20
  // How many classes that take place are left from each one on, to share the newcomers out.
  const heldFrom = past.map((_, c) => past.slice(c).filter((__, i) => !isCancelled(c + i)).length)

  for (const [c, start] of past.entries()) {
    const course = opts.courses[c % opts.courses.length] as string
    const location = opts.places[c % opts.places.length] as number
    const capacity = 18 + Math.floor(rand() * 8)
    const meetingCount = rand() < 0.3 ? 2 : 1
    const cancelledClass = isCancelled(c)
    const booked = toStoredIso(start.minus({ days: 10 + Math.floor(rand() * 20) }))
    const { id: classId } = await tx.insertInto('classes').values({ course_slug: course, location_id: location, capacity, is_public: 1, note: null, cancelled_at: cancelledClass ? toStoredIso(start.minus({ days: 3 })) : null, created_at: booked, updated_at: at }).returning('id').executeTakeFirstOrThrow()
    const meetings: Array<{ id: number, startsAt: string }> = []
    for (let m = 0; m < meetingCount; m++) {
      const s = start.plus({ weeks: m })
      const { id } = await tx.insertInto('meetings').values({ class_id: classId, starts_at: toStoredIso(s), ends_at: toStoredIso(s.plus({ hours: 2 })) }).returning('id').executeTakeFirstOrThrow()
      meetings.push({ id, startsAt: toStoredIso(s) })
    }
    const staff: Array<{ class_id: number, staff_user_id: number, task: StaffTask }> = []
    if (opts.instructors.length > 0) staff.push({ class_id: classId, staff_user_id: opts.instructors[c % opts.instructors.length] as number, task: 'instructor' })
    // Some volunteers help at nearly every class, others now and then.
    for (const helper of opts.helpers) if (rand() < 0.7 / (1 + opts.helpers.indexOf(helper))) staff.push({ class_id: classId, staff_user_id: helper, task: 'helper' })
    if (staff.length > 0) await tx.insertInto('class_staff').values(staff).execute()

    const rows: NewBooking[] = []
    if (cancelledClass) {
      for (let i = 0; i < 6; i++) rows.push(bookingRow({ class_id: classId, participant_id: await newPerson(booked), status: 'cancelled', created_at: booked, confirmed_at: booked, cancelled_at: toStoredIso(start.minus({ days: 3 })), cancelled_by: 'organiser' }))
      await tx.insertInto('bookings').values(rows).execute()
      continue
    }

    // Who sits where and who comes to which meeting, decided first; then written in bulk.
    const seats: Array<{ participantId: number, code: string, came: boolean[] }> = []
    const seated = new Set<number>()
    /** Seats a person; true when a newcomer came, and so is one more of the people reached. */
    const seat = (participantId: number, returning: boolean): boolean => {
      seated.add(participantId)
      const row = bookingRow({ class_id: classId, participant_id: participantId, status: 'confirmed', created_at: booked, confirmed_at: booked })
      rows.push(row)
      // A newcomer who never came is not yet one of the people reached.
      const came = rand() >= NO_SHOW
      if (came && !returning) { made++; pool.push(participantId) }
      seats.push({ participantId, code: row.checkin_code, came: meetings.map((_, m) => came && (m === 0 || rand() >= MISSES_SECOND_MEETING)) })
      return came && !returning
    }
    // Those who come for the first time share out what is left of the people to reach.
    const newcomers = Math.ceil((opts.participants - made) / Math.max(1, heldFrom[c] ?? 1))
    for (let reached = 0; reached < newcomers && seated.size < capacity;) {
      if (seat(await newPerson(booked), false)) reached++
    }
    // The rest of the seats go to people who have been before; not every class fills up.
    const wanted = rand() < 0.3 ? Math.round(capacity * (0.55 + rand() * 0.4)) : capacity
    for (let tries = 0; seated.size < wanted && pool.length > 0 && tries < capacity * 3; tries++) {
      const person = pick(pool)
      if (!seated.has(person)) seat(person, true)
    }
    // Some cancel in good time; a full class leaves some on the waiting list.
    for (let i = Math.floor(rand() * 3); i > 0; i--) {
      rows.push(bookingRow({ class_id: classId, participant_id: await newPerson(booked), status: 'cancelled', created_at: booked, confirmed_at: booked, cancelled_at: toStoredIso(start.minus({ days: 2 })), cancelled_by: 'participant' }))
    }
    if (seated.size >= capacity && rand() < 0.35) {
      for (let i = 1 + Math.floor(rand() * 4); i > 0; i--) rows.push(bookingRow({ class_id: classId, participant_id: await newPerson(booked), status: 'waitlisted', created_at: booked, confirmed_at: null }))
    }
    const bookingIds = new Map((await tx.insertInto('bookings').values(rows).returning(['id', 'checkin_code']).execute()).map(r => [r.checkin_code, r.id]))

    // Check-ins meeting by meeting, each counted in its scopes the first time the person comes.
    const visits = meetings.flatMap((meeting, m) => seats.filter(s => s.came[m]).map(s => ({ meeting, participantId: s.participantId, bookingId: bookingIds.get(s.code) as number })))
    if (visits.length === 0) continue
    const inserted = await tx.insertInto('attendances').values(visits.map(v => ({ booking_id: v.bookingId, meeting_id: v.meeting.id, participant_id: v.participantId, checked_in_at: v.meeting.startsAt, staff_user_id: null, via: 'tablet' as const }))).returning(['id', 'booking_id', 'meeting_id']).execute()
    const attendanceIds = new Map(inserted.map(r => [`${r.booking_id}:${r.meeting_id}`, r.id]))
    const firsts: Array<{ scope: string, participant_id: number, attendance_id: number, at: string }> = []
    const milestones: Array<{ scope: string, number: number, participant_id: number, attendance_id: number, booking_id: number, meeting_id: number, reached_at: string }> = []
    for (const v of visits) {
      const attendanceId = attendanceIds.get(`${v.bookingId}:${v.meeting.id}`) as number
      for (const scope of scopesOf(location, topics.get(course) ?? '')) {
        if (firstIn.has(`${scope}|${v.participantId}`)) continue
        firstIn.add(`${scope}|${v.participantId}`)
        const number = (counts.get(scope) ?? 0) + 1
        counts.set(scope, number)
        firsts.push({ scope, participant_id: v.participantId, attendance_id: attendanceId, at: v.meeting.startsAt })
        if (isMilestone(rules, scope, number)) milestones.push({ scope, number, participant_id: v.participantId, attendance_id: attendanceId, booking_id: v.bookingId, meeting_id: v.meeting.id, reached_at: v.meeting.startsAt })
      }
    }
    if (firsts.length > 0) await tx.insertInto('participant_firsts').values(firsts).execute()
    if (milestones.length > 0) await tx.insertInto('milestones').values(milestones).execute()
  }
  // The milestones page starts from exactly this many people.
  if (made !== opts.participants) throw new Error(`demo history reached ${made} people, not ${opts.participants}`)
}
