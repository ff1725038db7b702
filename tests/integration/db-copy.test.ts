import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createPostgresDb, createSqliteDb } from '../../server/db/connection.ts'
import { openSqliteReadOnly, verifyCopy } from '../../server/db/copy.ts'
import { migrateToLatest } from '../../server/db/migrate.ts'
import { bookSeat } from '../../server/services/booking-service.ts'
import { buildReport } from '../../server/services/report-service.ts'
import { syncCatalogue } from '../../server/services/catalogue-service.ts'
import { bookingInput, coursesDir, createClass, createStaff } from '../helpers/app.ts'
import { databaseEnv, newEmptyPostgresDatabase, onPostgres } from '../helpers/database.ts'
import { HttpClient, csrfIn } from '../helpers/http-client.ts'
import { REPORT_2025, seedReportData } from '../helpers/report-data.ts'
import { runScript, startServerProcess } from '../helpers/server-process.ts'

describe.runIf(onPostgres)('npm run db:copy (SQLite to PostgreSQL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digikurser-copy-'))
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('copies an installation, verifies counts and report totals, and the servers carry on from it', { timeout: 120_000 }, async () => {
    // An installation that has run for a while on SQLite.
    const file = join(dir, 'digikurser.sqlite')
    const old = createSqliteDb(file)
    await migrateToLatest(old)
    await syncCatalogue(old, coursesDir)
    await seedReportData(old)
    await createStaff(old, 'leader', 'leder@bib.dk', 'en lang og sikker adgangskode')
    const upcoming = await createClass(old, { capacity: 5, meetings: ['2030-03-05T10:00'] })
    await bookSeat(old, upcoming, bookingInput({ name: 'Grethe Æbelø', phone: '+4512345678', needsOther: 'Kørestol' }), 'phone')
    const before = await buildReport(old, { from: '2025-01-01', to: '2025-12-31' })
    const maxBooking = (await old.selectFrom('bookings').select(eb => eb.fn.max('id').as('m')).executeTakeFirstOrThrow()).m!
    await old.destroy()

    const url = await newEmptyPostgresDatabase()
    const copy = await runScript('server/cli/db-copy.ts', ['--from', file, '--to', url], {})
    expect(copy.output).toMatch(/Row counts match in all \d+ tables/)
    expect(copy.output).toMatch(/Report totals match for 2024-11-05 to 2030-03-05/)
    expect(copy.code).toBe(0)

    const db = createPostgresDb(url)
    const after = await buildReport(db, { from: '2025-01-01', to: '2025-12-31' })
    expect({ ...after, generatedAt: '' }).toEqual({ ...before, generatedAt: '' })
    expect(after.totals).toMatchObject(REPORT_2025.totals)
    expect(await db.selectFrom('participants').select(['name', 'phone']).where('name', '=', 'Grethe Æbelø').execute()).toEqual([{ name: 'Grethe Æbelø', phone: '+4512345678' }])
    expect(await db.selectFrom('milestone_rules').select(['mode', 'number']).orderBy('id').execute()).toEqual([{ mode: 'every', number: 1000 }, { mode: 'once', number: 3 }])

    // A server on the copy: the leader's password still works, and new rows get new ids.
    const server = await startServerProcess(databaseEnv(url))
    try {
      const citizen = new HttpClient()
      const page = await citizen.get(`${server.base}/hold/${upcoming}`)
      const booked = await citizen.postForm(`${server.base}/hold/${upcoming}/tilmeld`, { _csrf: csrfIn(page.text), name: 'Bent Nielsen', phone: '87654321', email: '' })
      expect(booked.status).toBe(303)
      const bent = await db.selectFrom('bookings').innerJoin('participants', 'participants.id', 'bookings.participant_id').select('bookings.id').where('participants.name', '=', 'Bent Nielsen').executeTakeFirstOrThrow()
      expect(bent.id).toBe(maxBooking + 1)
      const leader = new HttpClient()
      const signIn = await leader.get(`${server.base}/personale/log-ind`)
      expect((await leader.postForm(`${server.base}/personale/log-ind`, { _csrf: csrfIn(signIn.text), email: 'leder@bib.dk', password: 'en lang og sikker adgangskode' })).status).toBe(303)
      expect((await leader.get(`${server.base}/personale/rapporter?fra=2025-01-01&til=2025-12-31`)).text).toContain('Fremmøder')
    } finally {
      server.child.kill('SIGTERM')
      await server.exited
    }

    // Copying twice into the same database is refused, and nothing is changed.
    const again = await runScript('server/cli/db-copy.ts', ['--from', file, '--to', url], {})
    expect(again.code).toBe(1)
    expect(again.output).toContain('PostgreSQL is not empty')

    // The check finds differences when there are some.
    await db.deleteFrom('attendances').where('id', '=', (await db.selectFrom('attendances').select('id').orderBy('id').executeTakeFirstOrThrow()).id).execute()
    const source = openSqliteReadOnly(file)
    const result = await verifyCopy(source.db, db, ['attendances', 'bookings'])
    // One attendance gone, and Bent's booking made on the server after the copy.
    expect(result.differences.slice(0, 2)).toEqual(['attendances: 9 rows in the source, 8 in PostgreSQL', 'bookings: 13 rows in the source, 14 in PostgreSQL'])
    expect(result.reportsMatch).toBe(false)
    expect(result.differences.some(d => d.includes('totals differs'))).toBe(true)
    await source.db.destroy()
    await db.destroy()
  })

  it('refuses a source that is not a digikurser database, or misses a migration, with a clear message', async () => {
    const url = await newEmptyPostgresDatabase()
    const usage = await runScript('server/cli/db-copy.ts', ['--from', join(dir, 'x.sqlite')], {})
    expect(usage.code).toBe(1)
    expect(usage.output).toContain('Usage: npm run db:copy -- --from <sqlite file> --to <postgres url>')
    expect((await runScript('server/cli/db-copy.ts', ['--from', join(dir, 'missing.sqlite'), '--to', url], {})).output).toContain('Cannot open')

    const behind = join(dir, 'behind.sqlite')
    const db = createSqliteDb(behind)
    await migrateToLatest(db)
    await db.deleteFrom('kysely_migration' as never).where('name' as never, '=', '20261121210000_retention_and_jobs' as never).execute()
    await db.destroy()
    const result = await runScript('server/cli/db-copy.ts', ['--from', behind, '--to', url], {})
    expect(result.code).toBe(1)
    expect(result.output).toContain('missing migration 20261121210000_retention_and_jobs')
  })
})

describe.skipIf(onPostgres)('npm run db:copy', () => {
  it.skip('needs PostgreSQL as its target: runs in npm run test:pg', () => {})
})
