import { CITIZEN } from '../../server/domain/actor.ts'
import { API_SCOPES } from '../../server/domain/api-token.ts'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { insertPartner } from '../../server/repositories/partner-repository.ts'
import { createApiToken } from '../../server/services/api-token-service.ts'
import { bookSeat } from '../../server/services/booking-service.ts'
import { createCheckinLink } from '../../server/services/checkin-link-service.ts'
import { inviteStaffUser } from '../../server/services/staff-service.ts'
import { bookingInput, createClass, createClassToday, createLocation, createStaff, staffIdOf, asStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent, testConfig } from '../helpers/http.ts'

/** An id nothing has. */
const NONE = '999999'

/**
 * A plausible form for any route, where every id it names is one that does not exist.
 * No names or addresses: a route that takes no id must refuse it as incomplete rather
 * than create something.
 */
const UNKNOWN_IDS = {
  booking_id: NONE,
  meeting_id: NONE,
  class_id: NONE,
  target: NONE,
  other_id: NONE,
  staff_user_id: NONE,
  location: NONE,
  partner: NONE,
  locations: NONE,
  course: 'mitid-kom-godt-i-gang',
  capacity: '10',
  is_public: '1',
  version: '1',
  meeting_id_1: NONE,
  meeting_date_1: '2030-01-07',
  meeting_start_1: '10:00',
  meeting_end_1: '12:00',
  type: 'in',
  key: 'unknown-ids-walk-0001',
  dag: '2030-01-07',
  ringet: '1',
  here: NONE,
  was: NONE,
  [`device_${NONE}`]: 'phone',
  [`goals_${NONE}`]: '0',
  scope: `location:${NONE}`,
  mode: 'every',
  number: '100',
  active: '1',
  public: '1',
  confirm: '1',
  allow: '1',
  outcome: 'yes',
  task: 'helper'
}

/** Routes that take no id and change only the signed-in user's own sessions (not walked). */
const SKIP = ['/personale/log-ud', '/personale/profil/log-ud-alle-steder']

describe('unknown ids', () => {
  it('every POST route answers a request naming ids that do not exist with 4xx or a form, never 5xx, and changes nothing', async () => {
    // With the SMS webhooks' secret set, as a library using them has it: an unsigned call is a 401 (without it, 503).
    const t = await buildTestApp({ sms: { ...testConfig().sms, webhookSecret: 'unknown-ids-walk-webhook-secret-0123' } })
    // One of everything, with id 1, so that only the unknown ids are unknown.
    await createLocation(t.db)
    await insertPartner(t.db, { name: 'Seniorklubben', contact: null, note: null, archived_at: null, created_at: new Date().toISOString() })
    const { classId, meetingId } = await createClassToday(t.db, { capacity: 5 })
    const otherClass = await createClass(t.db, { capacity: 5 })
    const otherMeetingId = (await t.db.selectFrom('meetings').select('id').where('class_id', '=', otherClass).executeTakeFirstOrThrow()).id
    await bookSeat(t.db, CITIZEN, classId, bookingInput({ name: 'Grethe Hansen', phone: '+4512345678', email: 'grethe@example.dk' }), { source: 'phone', now: new Date(Date.now() - 86400_000) })
    const admin = await createStaff(t.db, 'admin', 'admin@bib.dk')
    const adminId = await staffIdOf(t.db, 'admin@bib.dk')
    await createStaff(t.db, 'volunteer', 'frida@bib.dk')
    await inviteStaffUser(t.db, asStaff(adminId), { email: 'ny@bib.dk', name: 'Ny Frivillig', role: 'volunteer' })
    await createCheckinLink(t.db, asStaff(adminId), meetingId)
    const { token: apiToken } = await createApiToken(t.db, asStaff(adminId), { name: 'Hjemmesiden', scopes: [...API_SCOPES], expiresAt: '2099-01-01T00:00:00.000Z' })
    expect([classId, meetingId]).toEqual([1, 1])

    const agent = await signedInAgent(t.app, admin)
    const csrf = csrfOf((await agent.get(`/personale/hold/${classId}/ret`).expect(200)).text)
    const unknownToken = 'x'.repeat(43)
    const pathWith = (url: string, id: string) => url
      .replace(/:token/, unknownToken)
      .replace(/:slug/, 'kurset-findes-ikke')
      .replace(/:[A-Za-z]+/g, id)

    const tables = (await t.db.introspection.getTables()).map(table => table.name)
      .filter(name => !/^(kysely_|rate_limits$|change_counters$)/.test(name))
    // When a token was last used is not a change a request makes to the data.
    const ignored = (key: string, value: unknown) => key === 'last_used_at' ? undefined : value
    const snapshot = async () => new Map(await Promise.all(tables.map(async table => [table, JSON.stringify(await t.db.selectFrom(table as 'bookings').selectAll().execute(), ignored)] as const)))
    const before = await snapshot()
    let last = before
    /** The tables a request changed. */
    async function changedTables () {
      const now = await snapshot()
      const changed = tables.filter(table => now.get(table) !== last.get(table))
      last = now
      return changed
    }

    async function send (method: 'post' | 'patch', path: string, body: Record<string, unknown>) {
      if (path.startsWith('/api/')) return await request(t.app.server)[method](path).set('authorization', `Bearer ${apiToken}`).send(body)
      if (path.endsWith('/synk')) return await agent.post(path).set('x-csrf-token', csrf).send({ _csrf: csrf, actions: [{ key: 'unknown-ids-walk-0002', type: 'in', bookingId: Number(NONE) }] })
      return await agent[method](path).type('form').send({ _csrf: csrf, ...body })
    }
    const apiClass = { courseSlug: 'mitid-kom-godt-i-gang', locationId: Number(NONE), partnerId: Number(NONE), capacity: 10, meetings: [{ id: Number(NONE), start: '2030-01-07T10:00:00+01:00', end: '2030-01-07T12:00:00+01:00' }] }
    const apiBooking = { name: 'Grethe Hansen', phone: '12345678' }

    const wrong: string[] = []
    const answered: string[] = []
    const posts = t.app.routeTable.filter(r => r.method === 'POST' && !SKIP.includes(r.url))
    expect(posts.length).toBeGreaterThan(40)
    const cases: Array<[method: 'post' | 'patch', path: string, body: Record<string, unknown>]> = [
      // Every route, with ids in its path that do not exist.
      ...posts.map(r => ['post', pathWith(r.url, NONE), r.url.startsWith('/api/') ? (r.url.endsWith('/bookings') ? apiBooking : apiClass) : UNKNOWN_IDS] as ['post', string, Record<string, unknown>]),
      // Every route with ids in its path, with ids that exist and a body naming ids that do not.
      ...posts.filter(r => /:(id|meetingId|linkId|staffId)\b/.test(r.url) && !r.url.startsWith('/api/'))
        .map(r => ['post', pathWith(r.url, '1'), UNKNOWN_IDS] as ['post', string, Record<string, unknown>])
        // Those that act on the path's id alone would do so (hide, cancel, archive …), and the
        // learning-goals form saves the class's own learners whatever else it names.
        .filter(([, path]) => /\/(ret|flyt|personale|slaa-sammen|fremmoede|tilmeld|handling|synk)$/.test(path)),
      // The class form with everything valid but a meeting that is not the class's.
      ['post', `/personale/hold/${classId}/ret`, { ...UNKNOWN_IDS, location: '1', partner: '', version: String((await t.db.selectFrom('classes').select('version').where('id', '=', classId).executeTakeFirstOrThrow()).version) }],
      // The call list with a booking and a meeting that exist, of different classes.
      ['post', '/personale/ringeliste/ringet', { ...UNKNOWN_IDS, booking_id: '1', meeting_id: String(otherMeetingId) }],
      ['patch', `/api/v1/classes/${classId}`, { locationId: Number(NONE) }],
      ['patch', `/api/v1/classes/${classId}`, { partnerId: Number(NONE) }],
      ['patch', `/api/v1/classes/${classId}`, { meetings: [{ id: Number(NONE), start: '2030-01-07T10:00:00+01:00', end: '2030-01-07T12:00:00+01:00' }] }],
      ['patch', `/api/v1/classes/${NONE}`, { capacity: 3 }]
    ]
    for (const [method, path, body] of cases) {
      const res = await send(method, path, body)
      answered.push(`${method.toUpperCase()} ${path} → ${res.status}`)
      if (res.status >= 500) wrong.push(`${method.toUpperCase()} ${path} → ${res.status}`)
      const changed = await changedTables()
      if (changed.length > 0) wrong.push(`${method.toUpperCase()} ${path} → ${res.status} changed ${changed.join(', ')}`)
      // A 200 is a form shown again (in Danish); nothing was done.
      if (res.status === 200 && !/<html lang="da"|"message"/.test(res.text)) wrong.push(`${method.toUpperCase()} ${path} → 200 without a message`)
    }
    expect(wrong).toEqual([])
    expect(await snapshot()).toEqual(before)
    expect(answered.length).toBeGreaterThan(posts.length)
    await t.app.close()
  })
})
