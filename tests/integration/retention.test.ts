import { afterEach, describe, expect, it, vi } from 'vitest'
import { ANONYMOUS_NAME } from '../../server/repositories/retention-repository.ts'
import { anonymiseExpired, eraseParticipant, getRetentionStatus } from '../../server/services/privacy-service.ts'
import { confirmInterest, subscribeToCourse } from '../../server/services/interest-service.ts'
import { mergeParticipants } from '../../server/services/participant-service.ts'
import { buildReport } from '../../server/services/report-service.ts'
import { bookingInput, bookNew, createClass, createStaff, asStaff } from '../helpers/factories.ts'
import { buildTestApp } from '../helpers/http.ts'
import { seedReportData } from '../helpers/report-data.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

const periods = [{ from: '2024-01-01', to: '2024-12-31' }, { from: '2025-01-01', to: '2025-12-31' }]

describe('retention', () => {
  afterEach(() => { vi.useRealTimers() })

  it('anonymises exactly the people past the limit, daily, and every report gives the same numbers after', async () => {
    const t = await buildTestApp({ retentionMonths: 12 })
    const { people } = await seedReportData(t.db)
    await t.db.insertInto('interest_subscriptions').values([
      { course_slug: 'mitid-appen', email: 'gammel@example.dk', token: 'tok-old-1234567890123', created_at: '2025-01-02T10:00:00.000Z', unsubscribed_at: null },
      { course_slug: 'mitid-appen', email: 'ny@example.dk', token: 'tok-new-1234567890123', created_at: '2026-05-01T10:00:00.000Z', unsubscribed_at: null }
    ]).execute()
    const reportNow = new Date('2026-07-01T12:00:00Z')
    const before = await Promise.all(periods.map(async p => { const r = await buildReport(t.db, p, reportNow); return { ...r, generatedAt: '' } }))
    const tokensBefore = new Map((await t.db.selectFrom('bookings').select(['id', 'token']).execute()).map(b => [b.id, b.token]))
    const names = async () => new Map((await t.db.selectFrom('participants').select(['id', 'name']).execute()).map(p => [p.id, p.name]))

    // 5 March 2026, 04:00 Copenhagen: only Ida (last meeting November 2024) is past twelve months.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-03-05T03:00:00Z'))
    await t.app.jobs.runDue()
    let now = await names()
    expect([...now.entries()].filter(([, n]) => n === ANONYMOUS_NAME).map(([id]) => id)).toEqual([people.Ida])
    // The job ran for today; asking again the same day does nothing more.
    const status = await getRetentionStatus(t.db, 12)
    expect(status.lastRunAt).toBe('2026-03-05T03:00:00.000Z')
    expect(status.nextRunAt).toBe('2026-03-06T02:00:00.000Z') // 03:00 Copenhagen, winter time
    expect(status.lastResult).toContain('Anonymiseret: 1 deltagere')
    expect(status.nextExpiryAt?.slice(0, 10)).toBe('2026-03-11') // the MitID class's last meeting, 11 March 2025

    // 11 June 2026: everyone whose last meeting was in March or June 2025; Jens (December) stays.
    vi.setSystemTime(new Date('2026-06-11T01:30:00Z'))
    await t.app.jobs.runDue()
    now = await names()
    const kept = [...now.entries()].filter(([, n]) => n !== ANONYMOUS_NAME).map(([, n]) => n)
    expect(kept).toEqual(['Jens'])
    const anna = await t.db.selectFrom('participants').selectAll().where('id', '=', people.Anna!).executeTakeFirstOrThrow()
    expect(anna).toMatchObject({ phone: null, email: null, birth_year: 1948 })
    expect(anna.anonymised_at).toBe('2026-06-11T01:30:00.000Z')
    const annaBookings = await t.db.selectFrom('bookings').selectAll().where('participant_id', '=', people.Anna!).execute()
    expect(annaBookings.every(b => b.token !== tokensBefore.get(b.id) && b.booker_email === null && b.needs_other === null)).toBe(true)
    expect(await t.db.selectFrom('outbox').select('id').where('booking_id', 'in', annaBookings.map(b => b.id)).execute()).toEqual([])
    expect((await t.db.selectFrom('interest_subscriptions').select('email').execute()).map(s => s.email)).toEqual(['ny@example.dk'])
    const audit = await t.db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'retention_anonymised').execute()
    expect(audit.map(a => a.detail)).toEqual(['participants=1 bookings=1 interest=1', 'participants=8 bookings=10 interest=0'])

    // Every count stays.
    vi.useRealTimers()
    const after = await Promise.all(periods.map(async p => { const r = await buildReport(t.db, p, reportNow); return { ...r, generatedAt: '' } }))
    expect(after).toEqual(before)
    await t.app.close()
  })
})

describe('erasure on request', () => {
  it('gives up future seats to the waiting list, deletes interest lists and e-mails to the address, and refuses merging into the erased record', async () => {
    const t = await buildTestApp()
    const staff = await createStaff(t.db, 'admin')
    const staffId = (await t.db.selectFrom('staff_users').select('id').where('email', '=', staff.email).executeTakeFirstOrThrow()).id
    const classId = await createClass(t.db, { capacity: 1, meetings: ['2099-03-05T10:00'] })
    await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Anna', phone: '+4520000001', email: 'anna@example.dk' }), { source: 'online' })
    const will = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Will Waiting', phone: '+4520000099' }), { source: 'online' })
    expect(will.status).toBe('waitlisted')
    await subscribeToCourse(t.db, 'mitid-appen', 'anna@example.dk')
    await subscribeToCourse(t.db, 'mitid-appen', 'other@example.dk')
    const anna = await t.db.selectFrom('participants').select('id').where('name', '=', 'Anna').executeTakeFirstOrThrow()
    await eraseParticipant(t.db, asStaff(staffId), anna.id)
    expect((await t.db.selectFrom('bookings').select('status').where('token', '=', will.token).executeTakeFirstOrThrow()).status).toBe('confirmed')
    expect((await t.db.selectFrom('bookings').select('status').where('participant_id', '=', anna.id).executeTakeFirstOrThrow()).status).toBe('cancelled')
    expect(await t.db.selectFrom('outbox').select('id').where('recipient', '=', 'anna@example.dk').execute()).toEqual([])
    expect((await t.db.selectFrom('interest_subscriptions').select('email').execute()).map(r => r.email)).toEqual(['other@example.dk'])
    const dup = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Anna', phone: '+4520000001' }), { source: 'online' })
    const dupId = (await t.db.selectFrom('bookings').select('participant_id').where('token', '=', dup.token).executeTakeFirstOrThrow()).participant_id
    await expect(mergeParticipants(t.db, asStaff(staffId), anna.id, dupId)).rejects.toMatchObject({ code: 'participant_anonymised' })
    await t.app.close()
  })

  it('is not retention: the daily job leaves a recent interest sign-up of an anonymised person alone', async () => {
    const t = await buildTestApp({ retentionMonths: 12 })
    const classId = await createClass(t.db, { capacity: 5, meetings: ['2024-03-05T10:00'] })
    await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Olga', phone: '+4520000007', email: 'olga@example.dk' }), { source: 'online', now: new Date('2024-02-01T10:00:00Z') })
    await subscribeToCourse(t.db, 'mitid-appen', 'olga@example.dk', new Date('2026-01-01T10:00:00Z'))
    const mail = await t.db.selectFrom('outbox').select('payload_json').where('kind', '=', 'interest_confirm').executeTakeFirstOrThrow()
    await confirmInterest(t.db, (JSON.parse(mail.payload_json) as { confirmToken: string }).confirmToken, new Date('2026-01-01T10:05:00Z'))
    await anonymiseExpired(t.db, 12, new Date('2026-02-01T10:00:00Z'))
    expect((await t.db.selectFrom('participants').select('name').executeTakeFirstOrThrow()).name).toBe(ANONYMOUS_NAME)
    expect((await t.db.selectFrom('interest_subscriptions').select('email').execute()).map(r => r.email)).toEqual(['olga@example.dk'])
    await t.app.close()
  })
})
