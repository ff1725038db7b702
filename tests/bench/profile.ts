import { openDatabaseAt } from '../../server/db/connection.ts'
import { buildReport, spanOf } from '../../server/services/report-service.ts'
import { barChart, reportTables } from '../../server/services/report-tables.ts'
import { getCataloguePage } from '../../server/services/class-query-service.ts'
import * as repo from '../../server/repositories/report-repository.ts'

/**
 * Times the catalogue, the year report as a whole (its first build in this process, when
 * every statement is prepared anew, then again), each of its queries, and the charts.
 * `node --import tsx tests/bench/profile.ts [where]`: where is a SQLite file (default
 * data/bench/bench.sqlite, as `npm run bench` leaves it) or a postgres:// URL.
 * Each line is the fastest of ROUNDS runs (default 3), as these machines are shared.
 */
const db = openDatabaseAt(process.argv[2] ?? 'data/bench/bench.sqlite')
const rounds = Number(process.env.ROUNDS ?? 3)
const period = { from: '2025-01-01', to: '2025-12-31' }
const span = spanOf(period)
const now = new Date()
const at = now.toISOString()

async function time (label: string, f: () => Promise<unknown>, times = rounds): Promise<number> {
  let best = Infinity
  for (let i = 0; i < times; i++) {
    const t = performance.now()
    await f()
    best = Math.min(best, performance.now() - t)
  }
  console.log(label.padEnd(22), String(Math.round(best)).padStart(5), 'ms')
  return best
}

await time('buildReport, first', async () => await buildReport(db, period, now), 1)
await time('buildReport, again', async () => await buildReport(db, period, now))
await time('catalogue', async () => await getCataloguePage(db, {}))
const meetings = await repo.listAttendanceByMeeting(db, span)
const participants = [...new Set(meetings.flatMap(m => m.participantIds))]
await time('attendanceByMeeting', async () => await repo.listAttendanceByMeeting(db, span))
await time('participants', async () => await repo.describeParticipants(db, participants, span.from))
await time('seats', async () => await repo.countSeats(db, span))
await time('meetingSeats', async () => await repo.listMeetingSeats(db, span, at))
await time('unmet', async () => await repo.countUnmetDemand(db, span))
await time('volunteers', async () => await repo.listVolunteerMinutes(db, span, at))
await time('milestones', async () => await repo.listMilestonesReached(db, span))
await time('seatBookings', async () => await repo.listSeatBookings(db, span))
const r = await buildReport(db, period, now)
await time('charts', async () => { for (const t of reportTables(r)) barChart(t) }, 1)
await db.destroy()
