import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { seedDemoData } from '../../server/cli/demo-data.ts'
import { countUnmetDemand, listVolunteerMinutes } from '../../server/repositories/report-repository.ts'
import { buildReport } from '../../server/services/report-service.ts'
import { needsFirstAdmin } from '../../server/services/staff-service.ts'
import { findClassSummaries } from '../../server/repositories/class-repository.ts'
import { findCourse, listCourses } from '../../server/repositories/course-repository.ts'
import { syncCatalogue } from '../../server/services/catalogue-service.ts'
import { getTodaysMeetings } from '../../server/services/door-view-service.ts'
import { getMilestonesPage } from '../../server/services/milestone-service.ts'
import { coursesDir, createTestDb } from '../helpers/database.ts'

describe('catalogue sync', () => {
  it('adds, updates and retires courses as the files change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'digikurser-courses-'))
    cpSync(coursesDir, dir, { recursive: true })
    const db = await createTestDb()
    const first = await syncCatalogue(db, dir)
    expect((await listCourses(db)).length).toBe(first.length)

    rmSync(join(dir, 'skat-paa-nettet-aarsopgoerelse.md'))
    for (const f of first.filter(c => c.next.includes('skat-paa-nettet-aarsopgoerelse'))) {
      const path = join(dir, `${f.slug}.md`)
      const source = readFileSync(path, 'utf8').replace(/\n {2}- skat-paa-nettet-aarsopgoerelse/, '')
      writeFileSync(path, source)
    }
    await syncCatalogue(db, dir)
    expect(await findCourse(db, 'skat-paa-nettet-aarsopgoerelse')).toBeUndefined()
    expect((await listCourses(db)).length).toBe(first.length - 1)
    const kept = await db.selectFrom('courses').select('in_catalogue').where('slug', '=', 'skat-paa-nettet-aarsopgoerelse').executeTakeFirstOrThrow()
    expect(kept.in_catalogue).toBe(0)
    await db.destroy()
    rmSync(dir, { recursive: true, force: true })
  })
})

describe('demo data', () => {
  it('has the three kinds of place and classes over six weeks, some nearly full and some with a waiting list', async () => {
    const db = await createTestDb()
    const now = new Date()
    const summary = await seedDemoData(db, now)
    expect(summary.locations).toBeGreaterThanOrEqual(3)
    const kinds = (await db.selectFrom('locations').select('kind').execute()).map(l => l.kind)
    expect(kinds).toEqual(expect.arrayContaining(['library', 'branch', 'club']))

    const classes = await findClassSummaries(db, { publicOnly: true, startsAfter: now.toISOString() })
    expect(classes.length).toBeGreaterThanOrEqual(10)
    const sixWeeks = now.getTime() + 43 * 24 * 3600 * 1000
    for (const c of classes) {
      expect(c.meetings.length).toBeGreaterThanOrEqual(1)
      expect(c.meetings.length).toBeLessThanOrEqual(3)
      expect(Date.parse(c.firstStartsAt ?? '')).toBeLessThan(sixWeeks)
      expect(c.confirmedCount).toBeLessThanOrEqual(c.capacity)
    }
    expect(classes.some(c => c.confirmedCount === c.capacity && c.waitlistCount > 0)).toBe(true)
    expect(classes.some(c => c.capacity - c.confirmedCount > 0 && c.capacity - c.confirmedCount <= 2)).toBe(true)
    expect(classes.some(c => c.confirmedCount < c.capacity / 2)).toBe(true)

    // Some with only a phone said yes to texts, so the outbox shows the texts kept.
    const texted = await db.selectFrom('bookings').select(['contact_email', 'contact_phone']).where('sms_consent', '=', 1).execute()
    expect(texted.length).toBeGreaterThanOrEqual(5)
    expect(texted.every(b => b.contact_email === null && b.contact_phone !== null)).toBe(true)
    const texts = await db.selectFrom('outbox').select('recipient').where('channel', '=', 'sms').execute()
    expect(texts.length).toBeGreaterThanOrEqual(3)
    expect(texts.every(r => /^45\d{8}$/.test(r.recipient))).toBe(true)

    // The door can be tried today, and the 3,000th participant is five new check-ins away.
    const today = await getTodaysMeetings(db, 0, true, now)
    expect(today.others.length).toBe(1)
    expect(today.others[0]?.confirmed).toBe(10)
    const milestones = await getMilestonesPage(db)
    expect(milestones.uniqueParticipants).toBe(2995)
    expect(milestones.rules[0]?.progress[0]).toMatchObject({ count: 2995, next: 3000, toGo: 5 })
    expect(milestones.history.filter(h => h.scope === 'all').map(h => h.number)).toEqual([2000, 1000])
    await db.destroy()
  })

  it('has a history like a real library\'s: seasons, people who come back, volunteer hours, no-shows and cancellations', async () => {
    const now = new Date('2026-11-20T09:00:00.000Z')
    const db = await createTestDb()
    await seedDemoData(db, now)
    const lastYear = { from: '2025-11-01T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' }
    const report = await buildReport(db, { from: '2025-11-01', to: '2026-10-31' }, now)

    // Fewer classes in July than in an ordinary month.
    const firsts = await db.selectFrom('meetings').select(eb => ['class_id', eb.fn.min('starts_at').as('first')]).groupBy('class_id').execute()
    const perMonth = new Map<number, number>()
    for (const f of firsts.filter(f => String(f.first) < now.toISOString())) {
      const month = new Date(String(f.first)).getUTCMonth() + 1
      perMonth.set(month, (perMonth.get(month) ?? 0) + 1)
    }
    const others = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11].map(m => perMonth.get(m) ?? 0)
    expect(perMonth.get(7) ?? 0).toBeLessThan(Math.min(...others) / 2)

    // People who come to several courses, so the report has returning participants.
    expect(report.totals.returningParticipants).toBeGreaterThan(report.totals.newParticipants / 10)
    const classesPerPerson = await db.selectFrom('attendances').innerJoin('meetings', 'meetings.id', 'attendances.meeting_id')
      .select(eb => ['attendances.participant_id', eb.fn.count<number>('meetings.class_id').distinct().as('classes')])
      .groupBy('attendances.participant_id').execute()
    expect(classesPerPerson.filter(p => Number(p.classes) >= 2).length).toBeGreaterThan(classesPerPerson.length / 10)

    // Volunteer and instructor hours on past classes.
    const volunteers = await listVolunteerMinutes(db, lastYear, now.toISOString())
    expect(new Set(volunteers.map(v => v.staffUserId)).size).toBeGreaterThanOrEqual(4)
    expect(volunteers.some(v => v.task === 'helper' && v.minutes >= 600)).toBe(true)
    expect(volunteers.some(v => v.task === 'instructor')).toBe(true)

    // Some booked seats are not used, and some bookings are cancelled.
    expect(report.shows.attended / report.shows.expected).toBeGreaterThan(0.8)
    expect(report.shows.attended / report.shows.expected).toBeLessThan(0.97)
    const cancelled = await db.selectFrom('bookings').select(['cancelled_by']).where('status', '=', 'cancelled').execute()
    expect(cancelled.some(b => b.cancelled_by === 'participant')).toBe(true)
    expect(cancelled.some(b => b.cancelled_by === 'organiser')).toBe(true)
    expect((await db.selectFrom('classes').select('id').where('cancelled_at', 'is not', null).execute()).length).toBeGreaterThan(0)
    expect((await countUnmetDemand(db, lastYear)).length).toBeGreaterThan(0)

    // The volunteers are records, not accounts: the first visit still creates the administrator.
    expect(await needsFirstAdmin(db)).toBe(true)

    // The same history every time.
    const again = await createTestDb()
    await seedDemoData(again, now)
    const reportAgain = await buildReport(again, { from: '2025-11-01', to: '2026-10-31' }, now)
    expect(reportAgain.totals).toEqual(report.totals)
    expect(reportAgain.shows).toEqual(report.shows)
    await Promise.all([db.destroy(), again.destroy()])
  })
})
