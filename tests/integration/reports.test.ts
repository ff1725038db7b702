import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import type { KyselyPlugin } from 'kysely'
import { describe, expect, it } from 'vitest'
import { buildReport } from '../../server/services/report-service.ts'
import { type Cell, cellText, reportCsv, reportTables, reportXlsx } from '../../server/services/report-tables.ts'
import { CITIZEN, SYSTEM } from '../../server/domain/actor.ts'
import { spreadsheetDate } from '../../server/domain/time.ts'
import { cancelBooking } from '../../server/services/booking-service.ts'
import { correctAttendance, newCheckinKey, runCheckinAction } from '../../server/services/checkin-service.ts'
import { closeWhenTestEnds } from '../helpers/cleanup.ts'
import { createTestDb, newDatabase, openDatabase } from '../helpers/database.ts'
import { bookingInput, bookNew, createClass, createStaff, asStaff } from '../helpers/factories.ts'
import { REPORT_2025, seedReportData } from '../helpers/report-data.ts'

const year2025 = { from: '2025-01-01', to: '2025-12-31' }
const now = new Date('2026-02-01T12:00:00Z')

describe('the period report', () => {
  it('gives the known numbers of a generated history, and every breakdown adds up to its total', async () => {
    const db = await createTestDb()
    await seedReportData(db)
    const r = await buildReport(db, year2025, now)
    expect(r.totals).toEqual(REPORT_2025.totals)
    const rows = (list: Array<{ label: string, attendances: number, participants: number }>) => list.map(x => [x.label, x.attendances, x.participants])
    expect(rows(r.byMonth)).toEqual(REPORT_2025.byMonth)
    expect(rows(r.byTopic)).toEqual(REPORT_2025.byTopic)
    expect(rows(r.byLocation)).toEqual(REPORT_2025.byLocation)
    expect(rows(r.byPartner)).toEqual(REPORT_2025.byPartner)
    expect(r.ageBands.map(a => [a.label, a.participants])).toEqual(REPORT_2025.ageBands)
    expect(r.seats).toMatchObject(REPORT_2025.seats)
    expect(r.shows).toMatchObject(REPORT_2025.shows)
    expect(r.unmetDemand.rows.map(u => [u.label, u.waiting])).toEqual(REPORT_2025.unmetDemand)
    expect(r.volunteers.hours).toBe(REPORT_2025.volunteerHours)
    expect(r.milestones.map(m => `${m.number} ${m.scopeLabel}`)).toEqual(REPORT_2025.milestones)

    // Totals equal the sum of their parts.
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
    for (const part of [r.byMonth, r.byTopic, r.byLocation, r.byPartner]) expect(sum(part.map(x => x.attendances))).toBe(r.totals.attendances)
    expect(r.totals.newParticipants + r.totals.returningParticipants).toBe(r.totals.participants)
    expect(sum(r.ageBands.map(a => a.participants))).toBe(r.totals.participants)
    expect(sum(r.seats.rows.map(s => s.taken))).toBe(r.seats.taken)
    expect(sum(r.shows.rows.map(s => s.noShows))).toBe(r.shows.noShows)
    expect(sum(r.unmetDemand.rows.map(u => u.waiting))).toBe(r.unmetDemand.waiting)
    for (const t of reportTables(r)) {
      if (!t.total) continue
      for (let col = 1; col < t.columns.length; col++) {
        const numbers = t.rows.map(row => row[col])
        // Additive columns: everything but distinct participants per month/topic/place/partner and rates.
        if (numbers.every(v => typeof v === 'number') && typeof t.total[col] === 'number' && !(t.columns[col] === 'Deltagere' && ['maaned', 'emne', 'sted', 'partner'].includes(t.id))) {
          expect(sum(numbers as number[]), `${t.id} ${t.columns[col]}`).toBeCloseTo(t.total[col] as number, 5)
        }
      }
    }
    // The year before has Bo and Ida only.
    expect((await buildReport(db, { from: '2024-01-01', to: '2024-12-31' }, now)).totals).toEqual({ attendances: 2, participants: 2, walkIns: 0, newParticipants: 2, returningParticipants: 0 })
    await db.destroy()
  })

  it('reads one snapshot: what another connection commits while it is built is in no number', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'digikurser-report-'))
    const location = await newDatabase(join(dir, 'report.sqlite'))
    const db = await createTestDb(location)
    const other = openDatabase(location)
    closeWhenTestEnds(async () => { await other.destroy(); await db.destroy(); rmSync(dir, { recursive: true, force: true }) })
    await seedReportData(db)
    // Right after the report's first query (the totals), another connection deletes every
    // attendance and commits, before the report reads on.
    let deleted = 0
    const meanwhile: KyselyPlugin = {
      transformQuery: args => args.node,
      transformResult: async args => {
        if (deleted === 0) deleted = Number((await other.deleteFrom('attendances').executeTakeFirst()).numDeletedRows)
        return args.result
      }
    }
    const r = await buildReport(db.withPlugin(meanwhile), year2025, now)
    expect(deleted).toBeGreaterThan(0)
    expect(r.totals).toEqual(REPORT_2025.totals)
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
    for (const part of [r.byMonth, r.byTopic, r.byLocation, r.byPartner]) expect(sum(part.map(x => x.attendances))).toBe(r.totals.attendances)
    expect(r.shows).toMatchObject(REPORT_2025.shows)
    // The next report sees the deletion.
    expect((await buildReport(db, year2025, now)).totals.attendances).toBe(0)
  })

  it('writes the same numbers to CSV and XLSX as the tables on the page', async () => {
    const db = await createTestDb()
    await seedReportData(db)
    const r = await buildReport(db, year2025, now)
    const tables = reportTables(r)
    const text = (v: Cell) => {
      const shown = typeof v === 'object' && 'day' in v ? spreadsheetDate(v.day) : cellText(v)
      return typeof shown === 'number' ? String(shown).replace('.', ',') : shown
    }
    // A share is a number in the workbook (its format shows "%"); a day is a date at midnight UTC of the Copenhagen day.
    const inBook = (v: Cell) => typeof v !== 'object' ? v : 'share' in v ? v.share ?? '–' : new Date(`${spreadsheetDate(v.day)}T00:00:00Z`)

    const csv = reportCsv(r, 'Testbiblioteket')
    expect(csv.charCodeAt(0)).toBe(0xFEFF)
    const lines = csv.slice(1).trim().split(/\r?\n/).map(l => l.split(';').map(c => c.replace(/^"|"$/g, '')))
    for (const t of tables) {
      const at = lines.findIndex(l => l[0] === t.title)
      expect(at, t.title).toBeGreaterThan(0)
      expect(lines[at + 1]).toEqual(t.columns)
      const body = [...t.rows, ...(t.total ? [t.total] : [])].map(row => row.map(text))
      expect(lines.slice(at + 2, at + 2 + body.length), t.title).toEqual(body)
    }

    const book = new ExcelJS.Workbook()
    await book.xlsx.load((await reportXlsx(r, 'Testbiblioteket')) as unknown as Parameters<typeof book.xlsx.load>[0])
    for (const t of tables) {
      const sheet = book.worksheets.find(s => s.getCell('A1').value === t.title)
      expect(sheet, t.title).toBeDefined()
      const values: unknown[][] = []
      sheet?.eachRow(row => { values.push((row.values as unknown[]).slice(1)) })
      const header = values.findIndex(v => JSON.stringify(v) === JSON.stringify(t.columns))
      expect(header, t.title).toBeGreaterThan(0)
      const body = [...t.rows, ...(t.total ? [t.total] : [])]
      expect(values.slice(header + 1, header + 1 + body.length).map(v => v.map(c => c ?? '')), t.title).toEqual(body.map(row => row.map(inBook)))
    }
    await db.destroy()
  })
})

describe('the period report, in harder cases', () => {
  it('counts a booking at a meeting only while it held a seat, and a seat from the waiting list as met demand', async () => {
    const db = await createTestDb()
    const classId = await createClass(db, { capacity: 1, meetings: ['2025-05-05T10:00', '2025-05-12T10:00'] })
    const a = await bookNew(db, CITIZEN, classId, bookingInput({ name: 'Asta', phone: '+4530000001' }), { source: 'online', now: new Date('2025-04-01T10:00:00Z') })
    const b = await bookNew(db, CITIZEN, classId, bookingInput({ name: 'Bjørn', phone: '+4530000002' }), { source: 'online', now: new Date('2025-04-02T10:00:00Z') })
    expect(b.status).toBe('waitlisted')
    const meetings = await db.selectFrom('meetings').select(['id', 'starts_at']).where('class_id', '=', classId).orderBy('starts_at').execute()
    const idOf = async (token: string) => (await db.selectFrom('bookings').select('id').where('token', '=', token).executeTakeFirstOrThrow()).id
    await runCheckinAction(db, SYSTEM, meetings[0]!.id, { key: newCheckinKey(), type: 'in', bookingId: await idOf(a.token) }, { now: new Date('2025-05-05T08:05:00Z') })
    // Asta cancels after the first meeting; Bjørn gets her seat and comes to the second.
    await cancelBooking(db, CITIZEN, a.token, 'participant', new Date('2025-05-06T10:00:00Z'))
    await runCheckinAction(db, SYSTEM, meetings[1]!.id, { key: newCheckinKey(), type: 'in', bookingId: await idOf(b.token) }, { now: new Date('2025-05-12T08:05:00Z') })
    const r = await buildReport(db, { from: '2025-01-01', to: '2025-12-31' }, now)
    expect(r.shows).toMatchObject({ expected: 2, attended: 2, noShows: 0 })
    expect(r.unmetDemand.waiting).toBe(0)
    await db.destroy()
  })

  it('calls a participant new in the year of their first meeting, however late it was entered', async () => {
    const db = await createTestDb()
    const first = await createClass(db, { capacity: 5, meetings: ['2025-12-30T10:00'] })
    const second = await createClass(db, { capacity: 5, meetings: ['2026-01-10T10:00'] })
    await bookNew(db, CITIZEN, first, bookingInput({ name: 'Cecilie', phone: '+4530000003' }), { source: 'online', now: new Date('2025-12-01T10:00:00Z') })
    await bookNew(db, CITIZEN, second, bookingInput({ name: 'Cecilie', phone: '+4530000003' }), { source: 'online', now: new Date('2025-12-01T10:00:00Z') })
    const staff = await createStaff(db, 'leader')
    const staffId = (await db.selectFrom('staff_users').select('id').where('email', '=', staff.email).executeTakeFirstOrThrow()).id
    const bookingOn = async (classId: number) => (await db.selectFrom('bookings').select('id').where('class_id', '=', classId).executeTakeFirstOrThrow()).id
    const meetingOf = async (classId: number) => (await db.selectFrom('meetings').select('id').where('class_id', '=', classId).executeTakeFirstOrThrow()).id
    // The January meeting is checked in at the door; December's paper list is entered later still.
    await runCheckinAction(db, SYSTEM, await meetingOf(second), { key: newCheckinKey(), type: 'in', bookingId: await bookingOn(second) }, { now: new Date('2026-01-10T09:05:00Z') })
    await correctAttendance(db, asStaff(staffId), first, [{ bookingId: await bookingOn(first), meetingId: await meetingOf(first), attended: true }], new Date('2026-01-12T10:00:00Z'))
    const y2025 = await buildReport(db, { from: '2025-01-01', to: '2025-12-31' }, new Date('2026-02-01T00:00:00Z'))
    const y2026 = await buildReport(db, { from: '2026-01-01', to: '2026-12-31' }, new Date('2026-02-01T00:00:00Z'))
    expect(y2025.totals).toMatchObject({ participants: 1, newParticipants: 1, returningParticipants: 0 })
    expect(y2026.totals).toMatchObject({ participants: 1, newParticipants: 0, returningParticipants: 1 })
    await db.destroy()
  })
})
