import { randomBytes } from 'node:crypto'
import SQLite from 'better-sqlite3'
import { DateTime } from 'luxon'
import { CODE_ALPHABET } from '../../server/domain/checkin-code.ts'
import { scopesOf } from '../../server/domain/milestones.ts'
import { ZONE } from '../../server/domain/time.ts'
import { prepareDatabase } from '../helpers/server-process.ts'

export interface Dataset {
  file: string
  upcomingClassIds: number[]
  /** Classes kept empty for the booking rush. */
  rushClassIds: number[]
  /** Today's meetings (250 classes of 20) and their bookings, for the check-in taps. */
  todayTaps: Array<{ meetingId: number, bookingId: number }>
  leader: { email: string, password: string }
}

const SIZES = { locations: 10, upcomingClasses: 200, participants: 50_000, attendances: 300_000, perClass: 20, years: 3 }

/**
 * A realistic installation for `npm run bench`: 10 places, 200 upcoming classes,
 * 50,000 participants and 300,000 past attendances over three years (2 meetings each
 * for 7,500 past classes of 20), counted toward milestones as check-ins would count
 * them; plus 250 classes of 20 today for the check-in taps. Written in bulk with
 * prepared statements, after the real migrations; then the daily anonymisation runs once,
 * as it would have every night, so the server starts in a steady state.
 */
export async function generateDataset (file: string, now: Date = new Date()): Promise<Dataset> {
  await prepareDatabase(file)
  const db = new SQLite(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = OFF')
  const at = now.toISOString()
  const courses = db.prepare('select slug, topic from courses where in_catalogue = 1 order by slug').all() as Array<{ slug: string, topic: string }>
  const usedCodes = new Set<string>()
  const code = () => {
    let c = ''
    do { c = Array.from({ length: 6 }, () => CODE_ALPHABET[Math.floor(Math.random() * CODE_ALPHABET.length)]).join('') } while (usedCodes.has(c))
    usedCodes.add(c)
    return c
  }
  const token = () => randomBytes(24).toString('base64url')

  const insertLocation = db.prepare('insert into locations (name, kind, street, postal_code, city, room, step_free, hearing_loop, access_note, created_at) values (?, ?, ?, ?, ?, ?, 1, 1, null, ?)')
  const insertClass = db.prepare('insert into classes (course_slug, location_id, capacity, is_public, note, cancelled_at, created_at, updated_at) values (?, ?, ?, 1, null, null, ?, ?)')
  const insertMeeting = db.prepare('insert into meetings (class_id, starts_at, ends_at) values (?, ?, ?)')
  const insertParticipant = db.prepare('insert into participants (name, phone, email, birth_year, created_at) values (?, ?, ?, ?, ?)')
  const insertBooking = db.prepare("insert into bookings (class_id, participant_id, token, checkin_code, status, source, needs_companion, needs_hearing_loop, created_at, confirmed_at) values (?, ?, ?, ?, 'confirmed', 'online', 0, 0, ?, ?)")
  const insertAttendance = db.prepare("insert into attendances (booking_id, meeting_id, participant_id, checked_in_at, staff_user_id, via) values (?, ?, ?, ?, null, 'tablet')")
  const insertFirst = db.prepare('insert into participant_firsts (scope, participant_id, attendance_id, at) values (?, ?, ?, ?)')
  const insertMilestone = db.prepare('insert into milestones (scope, number, participant_id, attendance_id, booking_id, meeting_id, reached_at) values (?, ?, ?, ?, ?, ?, ?)')
  const first = (start: DateTime) => ({ s: start.toUTC().toISO() as string, e: start.plus({ hours: 2 }).toUTC().toISO() as string })

  const result = db.transaction(() => {
    const locations = Array.from({ length: SIZES.locations }, (_, i) => Number(insertLocation.run(`Bibliotek ${i + 1}`, i % 3 === 0 ? 'club' : 'library', `Vejen ${i + 1}`, '8700', 'Horsens', 'Mødelokalet', at).lastInsertRowid))
    const participants = Array.from({ length: SIZES.participants }, (_, i) => Number(insertParticipant.run(`Deltager ${i + 1}`, `+452${String(i).padStart(7, '0')}`, i % 2 === 0 ? `deltager${i}@example.dk` : null, 1930 + (i % 50), at).lastInsertRowid))

    // The past: 7,500 classes of 20 with 2 meetings, spread over three years.
    const counts = new Map<string, number>()
    const counted = new Set<string>()
    const pastClasses = SIZES.attendances / (SIZES.perClass * 2)
    const startDay = DateTime.fromJSDate(now).setZone(ZONE).minus({ years: SIZES.years }).startOf('day')
    let p = 0
    for (let c = 0; c < pastClasses; c++) {
      const course = courses[c % courses.length] as { slug: string, topic: string }
      const location = locations[c % locations.length] as number
      const day = startDay.plus({ days: Math.floor(c * (SIZES.years * 364 - 14) / pastClasses) }).set({ hour: 10 })
      const classId = Number(insertClass.run(course.slug, location, SIZES.perClass, at, at).lastInsertRowid)
      const meetings = [first(day), first(day.plus({ weeks: 1 }))].map(m => ({ id: Number(insertMeeting.run(classId, m.s, m.e).lastInsertRowid), s: m.s }))
      for (let k = 0; k < SIZES.perClass; k++) {
        const participant = participants[p++ % participants.length] as number
        const bookingId = Number(insertBooking.run(classId, participant, token(), code(), meetings[0]!.s, meetings[0]!.s).lastInsertRowid)
        for (const m of meetings) {
          const attendanceId = Number(insertAttendance.run(bookingId, m.id, participant, m.s).lastInsertRowid)
          for (const scope of scopesOf(location, course.topic)) {
            const key = `${scope}:${participant}`
            if (counted.has(key)) continue
            counted.add(key)
            const n = (counts.get(scope) ?? 0) + 1
            counts.set(scope, n)
            insertFirst.run(scope, participant, attendanceId, m.s)
            if (scope === 'all' && n % 1000 === 0) insertMilestone.run(scope, n, participant, attendanceId, bookingId, m.id, m.s)
          }
        }
      }
    }

    // The future: 200 public classes over the next eight weeks, half of them partly booked.
    const today = DateTime.fromJSDate(now).setZone(ZONE).startOf('day')
    const upcoming: number[] = []
    for (let c = 0; c < SIZES.upcomingClasses; c++) {
      const course = courses[c % courses.length] as { slug: string, topic: string }
      const day = today.plus({ days: 2 + Math.floor(c * 54 / SIZES.upcomingClasses) }).set({ hour: c % 2 === 0 ? 10 : 13 })
      const classId = Number(insertClass.run(course.slug, locations[c % locations.length] as number, SIZES.perClass, at, at).lastInsertRowid)
      const m = first(day)
      insertMeeting.run(classId, m.s, m.e)
      upcoming.push(classId)
      if (c % 2 === 0) for (let k = 0; k < 8; k++) insertBooking.run(classId, participants[(c * 8 + k) % participants.length] as number, token(), code(), at, at)
    }

    // Today: 250 classes of 20 (a busy day across many municipalities) for the check-in taps.
    const local = DateTime.fromJSDate(now).setZone(ZONE)
    const todayStart = local.hour >= 22 ? local : local.plus({ hours: 1 })
    const todayTaps: Array<{ meetingId: number, bookingId: number }> = []
    for (let c = 0; c < 250; c++) {
      const todayClass = Number(insertClass.run('mitid-kom-godt-i-gang', locations[c % locations.length] as number, SIZES.perClass, at, at).lastInsertRowid)
      const m = first(todayStart)
      const meetingId = Number(insertMeeting.run(todayClass, m.s, m.e).lastInsertRowid)
      for (let k = 0; k < SIZES.perClass; k++) todayTaps.push({ meetingId, bookingId: Number(insertBooking.run(todayClass, participants[(c * SIZES.perClass + k) % participants.length] as number, token(), code(), at, at).lastInsertRowid) })
    }
    return { upcoming, todayTaps }
  })()
  db.close()
  return {
    file,
    upcomingClassIds: result.upcoming.filter((_, i) => i % 2 === 1).slice(50),
    rushClassIds: result.upcoming.filter((_, i) => i % 2 === 1).slice(0, 50),
    todayTaps: result.todayTaps,
    leader: { email: 'leder@bench.dk', password: 'en lang og sikker adgangskode til bench' }
  }
}
