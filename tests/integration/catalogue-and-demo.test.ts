import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { seedDemoData } from '../../server/cli/demo-data.ts'
import { findClassSummaries } from '../../server/repositories/class-repository.ts'
import { findCourse, listCourses } from '../../server/repositories/course-repository.ts'
import { syncCatalogue } from '../../server/services/catalogue-service.ts'
import { getTodaysMeetings } from '../../server/services/checkin-service.ts'
import { getMilestonesPage } from '../../server/services/milestone-service.ts'
import { coursesDir, createTestDb } from '../helpers/app.ts'

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
})
