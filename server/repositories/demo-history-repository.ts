import { DateTime } from 'luxon'
import type { DbOrTx } from '../db/connection.ts'
import { newBookingToken } from '../domain/booking-token.ts'
import { newCheckinCode } from '../domain/checkin-code.ts'
import { WITHOUT_NEEDS_OR_BOOKER } from './booking-repository.ts'
import { isMilestone, scopesOf } from '../domain/milestones.ts'
import { ZONE, toStoredIso } from '../domain/time.ts'

/**
 * Demo only: past classes with one meeting each, every seat taken and every learner
 * checked in, counted in each scope as a check-in would count them, with the
 * milestones the rules celebrate. Written in bulk, as thousands of rows go in.
 */
export async function seedPastAttendances (tx: DbOrTx, opts: { places: number[], courses: string[], participants: number, now: Date, rand: () => number }): Promise<void> {
  if (opts.courses.length === 0) return
  const topics = new Map((await tx.selectFrom('courses').select(['slug', 'topic']).execute()).map(c => [c.slug, c.topic]))
  const rules = await tx.selectFrom('milestone_rules').selectAll().execute()
  const used = new Set((await tx.selectFrom('bookings').select('checkin_code').execute()).map(r => r.checkin_code))
  const counts = new Map<string, number>()
  const perClass = 20
  const classCount = Math.ceil(opts.participants / perClass)
  const at = opts.now.toISOString()
  const firstDay = DateTime.fromJSDate(opts.now).setZone(ZONE).minus({ years: 3 }).startOf('day')
  let made = 0
  for (let c = 0; c < classCount; c++) {
    const day = firstDay.plus({ days: Math.floor((c * 3 * 365) / classCount) }).set({ hour: 10 })
    const start = day.weekday > 5 ? day.plus({ days: 8 - day.weekday }) : day
    const course = opts.courses[c % opts.courses.length] as string
    const location = opts.places[c % opts.places.length] as number
    const { id: classId } = await tx.insertInto('classes').values({ course_slug: course, location_id: location, capacity: perClass, is_public: 1, note: null, cancelled_at: null, created_at: at, updated_at: at }).returning('id').executeTakeFirstOrThrow()
    const meetingStart = toStoredIso(start)
    const { id: meetingId } = await tx.insertInto('meetings').values({ class_id: classId, starts_at: meetingStart, ends_at: toStoredIso(start.plus({ hours: 2 })) }).returning('id').executeTakeFirstOrThrow()
    const n = Math.min(perClass, opts.participants - made)
    for (let i = 0; i < n; i++) {
      made++
      const name = `Tidligere deltager ${made}`
      const birthYear = opts.rand() < 0.7 ? 1935 + Math.floor(opts.rand() * 40) : null
      const { id: participantId } = await tx.insertInto('participants').values({ name, phone: null, email: null, birth_year: birthYear, created_at: meetingStart }).returning('id').executeTakeFirstOrThrow()
      let code = newCheckinCode()
      while (used.has(code)) code = newCheckinCode()
      used.add(code)
      const { id: bookingId } = await tx.insertInto('bookings').values({
        class_id: classId,
        participant_id: participantId,
        token: newBookingToken(),
        checkin_code: code,
        status: 'confirmed',
        source: i % 4 === 0 ? 'phone' : 'online',
        person_name: name,
        person_birth_year: birthYear,
        ...WITHOUT_NEEDS_OR_BOOKER,
        created_at: meetingStart,
        confirmed_at: meetingStart
      }).returning('id').executeTakeFirstOrThrow()
      const { id: attendanceId } = await tx.insertInto('attendances').values({ booking_id: bookingId, meeting_id: meetingId, participant_id: participantId, checked_in_at: meetingStart, staff_user_id: null, via: 'tablet' }).returning('id').executeTakeFirstOrThrow()
      for (const scope of scopesOf(location, topics.get(course) ?? '')) {
        const number = (counts.get(scope) ?? 0) + 1
        counts.set(scope, number)
        await tx.insertInto('participant_firsts').values({ scope, participant_id: participantId, attendance_id: attendanceId, at: meetingStart }).execute()
        if (isMilestone(rules, scope, number)) {
          await tx.insertInto('milestones').values({ scope, number, participant_id: participantId, attendance_id: attendanceId, booking_id: bookingId, meeting_id: meetingId, reached_at: meetingStart }).execute()
        }
      }
    }
  }
}
