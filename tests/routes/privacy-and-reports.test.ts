import { Writable } from 'node:stream'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { newCheckinKey, runCheckinAction } from '../../server/services/checkin-service.ts'
import { buildReport } from '../../server/services/report-service.ts'
import { createTestDb } from '../helpers/database.ts'
import { bookingInput, bookNew, createClass, createClassToday, createStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent, submitBooking, testConfig, tokenFrom } from '../helpers/http.ts'
import { REPORT_2025, seedReportData } from '../helpers/report-data.ts'
import { CITIZEN, SYSTEM } from '../../server/domain/actor.ts'

const cellsOf = (html: string, id: string): string[][] => {
  const section = new RegExp(`<section class="report-section" aria-labelledby="t-${id}">([\\s\\S]*?)</section>`).exec(html)?.[1] ?? ''
  const body = /<tbody>([\s\S]*?)<\/tbody>(?:\s*<tfoot>([\s\S]*?)<\/tfoot>)?/.exec(section)
  return [...`${body?.[1] ?? ''}${body?.[2] ?? ''}`.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map(r => [...(r[1] ?? '').matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map(c => (c[1] ?? '').trim()))
}

describe('reports for leaders', () => {
  it('shows the period report with a chart beside each table, and the CSV and XLSX hold the same numbers', async () => {
    const t = await buildTestApp()
    await seedReportData(t.db)
    const volunteer = await signedInAgent(t.app, await createStaff(t.db, 'volunteer'))
    await volunteer.get('/personale/rapporter').expect(403)
    await volunteer.get('/personale/rapporter/rapport.xlsx').expect(403)
    const leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const page = await leader.get('/personale/rapporter?fra=2025-01-01&til=2025-12-31').expect(200)
    expect(page.text).toContain('fra 1. januar 2025 til 31. december 2025')
    expect(cellsOf(page.text, 'emne')).toEqual([['Digital Post', '2', '2'], ['MitID', '5', '4'], ['I alt', '7', '5']])
    expect(cellsOf(page.text, 'maaned')).toEqual([...REPORT_2025.byMonth.map(r => r.map(String)), ['I alt', '7', '5']])
    // A chart beside each table that has one, hidden from screen readers (html-validate checks the markup).
    expect((page.text.match(/<svg aria-hidden="true" focusable="false" class="chart" xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g) ?? []).length).toBe(6)
    expect(page.text).not.toContain('Anna')

    const csv = await leader.get('/personale/rapporter/rapport.csv?fra=2025-01-01&til=2025-12-31').expect(200)
    expect(csv.headers['content-type']).toContain('text/csv')
    expect(csv.text).toContain('Fremmøde pr. emne\r\nEmne;Fremmøder;Deltagere\r\nDigital Post;2;2\r\nMitID;5;4\r\nI alt;7;5')
    const xlsx = await leader.get('/personale/rapporter/rapport.xlsx?fra=2025-01-01&til=2025-12-31').buffer(true).parse((res, done) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { done(null, Buffer.concat(chunks)) })
    }).expect(200)
    const book = new ExcelJS.Workbook()
    await book.xlsx.load(xlsx.body as Parameters<typeof book.xlsx.load>[0])
    const sheet = book.worksheets.find(s => s.getCell('A1').value === 'Fremmøde pr. sted')
    const values: unknown[][] = []
    sheet?.eachRow(row => { values.push((row.values as unknown[]).slice(1)) })
    expect(values.slice(-3)).toEqual([['Brædstrup Bibliotek', 2, 2], ['Hovedbiblioteket', 5, 4], ['I alt', 7, 5]])

    // A change made afterwards shows at once (the kept report is out of date).
    const jens = await t.db.selectFrom('bookings').innerJoin('participants', 'participants.id', 'bookings.participant_id').select(['bookings.id', 'bookings.class_id']).where('participants.name', '=', 'Carl').executeTakeFirstOrThrow()
    const carlMeeting = await t.db.selectFrom('meetings').select('id').where('class_id', '=', jens.class_id).orderBy('starts_at').executeTakeFirstOrThrow()
    const fremmoede = await leader.get(`/personale/hold/${jens.class_id}/fremmoede`)
    await leader.post(`/personale/hold/${jens.class_id}/fremmoede`).type('form').send(`_csrf=${encodeURIComponent(csrfOf(fremmoede.text))}&here=${jens.id}:${carlMeeting.id}`).expect(303)
    const again = await leader.get('/personale/rapporter?fra=2025-01-01&til=2025-12-31').expect(200)
    expect(cellsOf(again.text, 'emne')).toEqual([['Digital Post', '2', '2'], ['MitID', '6', '5'], ['I alt', '8', '6']])

    const bad = await leader.get('/personale/rapporter?fra=2025-12-31&til=2025-01-01').expect(400)
    expect(bad.text).toContain('Fra-datoen skal ligge før til-datoen.')
    expect(bad.text).toContain('value="2025-12-31"')
    await leader.get('/personale/rapporter?fra=1.1.2025&til=x').expect(400)
    const badDownload = await leader.get('/personale/rapporter/rapport.xlsx?fra=2025-12-31&til=2025-01-01').expect(400)
    expect(badDownload.text).toContain('Fra-datoen skal ligge før til-datoen. Gå tilbage til rapporten')
    await t.app.close()
  })
})

describe('a participant\'s own data', () => {
  it('is exported for an admin as a page and JSON, and erased on request with an audit entry without personal data', async () => {
    const t = await buildTestApp()
    await seedReportData(t.db)
    const before = await buildReport(t.db, { from: '2025-01-01', to: '2025-12-31' }, new Date('2026-01-10T00:00:00Z'))
    const anna = await t.db.selectFrom('participants').select('id').where('name', '=', 'Anna').executeTakeFirstOrThrow()
    const leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    await leader.get(`/personale/deltagere/${anna.id}/eksport.json`).expect(403)
    const leaderView = await leader.get(`/personale/deltagere/${anna.id}`).expect(200)
    expect(leaderView.text).not.toContain('Slet personens oplysninger')
    await leader.post(`/personale/deltagere/${anna.id}/slet`).type('form').send({ _csrf: csrfOf(leaderView.text), confirm: '1' }).expect(403)

    const admin = await signedInAgent(t.app, await createStaff(t.db, 'admin'))
    const json = await admin.get(`/personale/deltagere/${anna.id}/eksport.json`).expect(200)
    expect(json.headers['content-disposition']).toContain(`deltager-${anna.id}.json`)
    const data = JSON.parse(json.text) as { participant: { name: string, phone: string, email: string }, bookings: Array<{ attended: string[], emails: unknown[] }> }
    expect(data.participant).toMatchObject({ name: 'Anna', phone: '+4520000001', email: 'anna@example.dk' })
    expect(data.bookings).toHaveLength(2)
    expect(data.bookings.map(b => b.attended.length)).toEqual([1, 2])
    expect(data.bookings.every(b => b.emails.length > 0)).toBe(true)
    const html = await admin.get(`/personale/deltagere/${anna.id}/eksport`).expect(200)
    expect(html.text).toContain('anna@example.dk')
    expect(html.text).toContain('Kom godt i gang med MitID')

    const page = await admin.get(`/personale/deltagere/${anna.id}`).expect(200)
    const refused = await admin.post(`/personale/deltagere/${anna.id}/slet`).type('form').send({ _csrf: csrfOf(page.text) }).expect(303)
    expect(refused.headers.location).toContain('slet=bekraeft')
    expect((await admin.get(refused.headers.location as string)).text).toContain('Sæt kryds for at bekræfte')
    await admin.post(`/personale/deltagere/${anna.id}/slet`).type('form').send({ _csrf: csrfOf(page.text), confirm: '1' }).expect(303)
    const erased = await t.db.selectFrom('participants').selectAll().where('id', '=', anna.id).executeTakeFirstOrThrow()
    expect(erased).toMatchObject({ name: 'Anonymiseret deltager', phone: null, email: null, birth_year: null })
    const audit = await t.db.selectFrom('audit_log').selectAll().where('action', '=', 'participant_erased').executeTakeFirstOrThrow()
    expect(audit).toMatchObject({ subject_type: 'participant', subject_id: anna.id, detail: 'bookings=2' })
    expect(JSON.stringify(audit)).not.toMatch(/Anna|20000001|anna@/)
    expect((await admin.get(`/personale/deltagere/${anna.id}?slet=ok`)).text).toContain('Personens oplysninger er slettet.')
    // The counts stay; only the age band moves Anna to "Ikke oplyst".
    const after = await buildReport(t.db, { from: '2025-01-01', to: '2025-12-31' }, new Date('2026-01-10T00:00:00Z'))
    expect(after.totals).toEqual(before.totals)
    expect(after.byTopic).toEqual(before.byTopic)
    await t.app.close()
  })
})

describe('the privacy page and the accessibility statement', () => {
  it('are linked in every footer, and use the organisation\'s own texts when configured', async () => {
    const t = await buildTestApp({ retentionMonths: 18, dpoContact: 'DPO Horsens, dpo@horsens.dk' })
    const home = await request(t.app.server).get('/').expect(200)
    expect(home.text).toContain('<a href="/privatliv">Dine oplysninger</a> · <a href="/tilgaengelighed">Tilgængelighedserklæring</a>')
    const privacy = await request(t.app.server).get('/privatliv').expect(200)
    expect(privacy.text).toContain('18 måneder efter din sidste mødegang')
    expect(privacy.text).toContain('DPO Horsens, <a href="mailto:dpo@horsens.dk">dpo@horsens.dk</a>')
    expect(privacy.text).toContain('Vi spørger aldrig om dit CPR-nummer')
    const statement = await request(t.app.server).get('/tilgaengelighed').expect(200)
    expect(statement.text).toContain('<h1>Tilgængelighedserklæring</h1>')
    expect(statement.text).toContain('WCAG 2.1 niveau AA')
    await t.app.close()

    const dir = mkdtempSync(join(tmpdir(), 'digikurser-texts-'))
    writeFileSync(join(dir, 'privat.md'), '# Vores egen tekst\n\nSkriv til {{dpo}} om {{organisation}}. <script>alert(1)</script>')
    const own = await buildTestApp({ privacyTextFile: join(dir, 'privat.md'), dpoContact: 'dpo@kommune.dk' })
    const text = await request(own.app.server).get('/privatliv').expect(200)
    expect(text.text).toContain('<h1>Vores egen tekst</h1>')
    expect(text.text).toContain('Skriv til <a href="mailto:dpo@kommune.dk">dpo@kommune.dk</a> om Testbibliotekets kurser.')
    expect(text.text).not.toContain('<script>alert(1)</script>')
    await own.app.close()
  })
})

describe('logs', () => {
  it('hold no participant\'s name, phone number or e-mail address', async () => {
    let log = ''
    const stream = new Writable({ write (chunk: Buffer, _enc, done) { log += chunk.toString(); done() } })
    const config = testConfig({ logLevel: 'debug' })
    const db = await createTestDb()
    const app = await buildApp({ config, db, closeDb: true, logStream: stream })
    await app.ready()
    const classId = await createClass(db, { capacity: 5 })
    const { classId: todayClass, meetingId } = await createClassToday(db, { capacity: 5 })
    const name = 'Søren Ærø Kvistgaard'
    const booked = await submitBooking(app, classId, { name, phone: '61 72 83 94', email: 'soeren.kvist@example.dk', needs_other: 'Rollator' })
    const token = tokenFrom(booked.headers.location as string)
    await request(app.server).get(`/tilmelding/${token}`).expect(200)
    const admin = await signedInAgent(app, await createStaff(db, 'admin', 'admin@bib.dk'))
    const search = await admin.get(`/personale/deltagere?q=${encodeURIComponent(name)}`).expect(200)
    const id = /href="\/personale\/deltagere\/(\d+)"/.exec(search.text)?.[1] ?? ''
    await admin.get(`/personale/deltagere?q=${encodeURIComponent('61 72 83 94')}`).expect(200)
    await admin.get(`/personale/deltagere/${id}`).expect(200)
    await admin.get(`/personale/deltagere/${id}/eksport.json`).expect(200)
    // The same person also on today's class, checked in at the door.
    const today = await bookNew(db, CITIZEN, todayClass, bookingInput({ name, phone: '+4561728394', email: 'soeren.kvist@example.dk' }), { source: 'phone', now: new Date(Date.now() - 86400_000) })
    const booking = await db.selectFrom('bookings').select('id').where('token', '=', today.token).executeTakeFirstOrThrow()
    await runCheckinAction(db, SYSTEM, meetingId, { key: newCheckinKey(), type: 'in', bookingId: booking.id })
    const door = await admin.get(`/tjek-ind/${meetingId}`).expect(200)
    await admin.post(`/tjek-ind/${meetingId}/synk`).send({ _csrf: csrfOf(door.text), actions: [{ key: 'log-test-0001', type: 'walkin', person: { name: 'Ali Hassan Rahimi', phone: '50 60 70 80', email: 'ali.rahimi@example.dk' } }] }).expect(200)
    await admin.get(`/tjek-ind/${meetingId}?q=${encodeURIComponent('Ali Hassan')}`).expect(200)
    await app.mail.worker.runOnce()
    const page = await admin.get(`/personale/deltagere/${id}`)
    await admin.post(`/personale/deltagere/${id}/slet`).type('form').send({ _csrf: csrfOf(page.text), confirm: '1' }).expect(303)
    // Bad input on the way: a broken booking form with the same details.
    await submitBooking(app, classId, { name, phone: '61 72 83 94 xx', email: 'soeren.kvist@' })
    await app.close()

    expect(log.length).toBeGreaterThan(1000)
    for (const secret of ['Søren', 'Kvistgaard', '61728394', '61 72 83 94', '72 83', 'soeren.kvist', 'Rollator', 'Ali Hassan', 'Rahimi', '50607080', 'ali.rahimi', 'admin@bib.dk', token]) {
      expect(log, secret).not.toContain(secret)
    }
    expect(log).not.toContain(encodeURIComponent('Søren'))
  })

  it('name each request by its route, never by its address: no token reaches them, even on a new route', async () => {
    let log = ''
    const stream = new Writable({ write (chunk: Buffer, _enc, done) { log += chunk.toString(); done() } })
    const db = await createTestDb()
    const app = await buildApp({ config: testConfig({ logLevel: 'info' }), db, closeDb: true, logStream: stream })
    // A token route nobody told the logger about.
    app.get('/en-ny-rute/:token', async () => 'ok')
    await app.ready()
    const classId = await createClass(db, { capacity: 5 })
    const token = tokenFrom((await submitBooking(app, classId)).headers.location as string)
    await request(app.server).get(`/tilmelding/${token}?fra=sms`).expect(200)
    await request(app.server).get('/en-ny-rute/hemmelig-noegle-123').expect(200)
    await request(app.server).get('/tilmelding/hemmelig-noegle-456/findes-ikke').expect(404)
    await app.close()

    const urls = log.trim().split('\n').map(line => JSON.parse(line) as { req?: { url: string } }).flatMap(line => line.req ? [line.req.url] : [])
    expect(urls).toEqual(expect.arrayContaining(['/hold/:id', '/hold/:id/tilmeld', '/tilmelding/:token', '/en-ny-rute/:token', '(no route)']))
    for (const secret of [token, 'hemmelig-noegle', 'fra=sms', `/hold/${classId}`]) expect(log, secret).not.toContain(secret)
  })
})
