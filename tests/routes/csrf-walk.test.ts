import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { insertPartner } from '../../server/repositories/partner-repository.ts'
import { CITIZEN } from '../../server/domain/actor.ts'
import { API_SCOPES } from '../../server/domain/api-token.ts'
import { createApiToken } from '../../server/services/api-token-service.ts'
import { createCheckinLink } from '../../server/services/checkin-link-service.ts'
import { inviteStaffUser } from '../../server/services/staff-service.ts'
import { bookingInput, bookNew, createClass, createClassToday, createLocation, createStaff, staffIdOf, asStaff } from '../helpers/factories.ts'
import { buildTestApp, signedInAgent, testConfig } from '../helpers/http.ts'

/**
 * Routes that take a POST without a CSRF token, and why: the API authenticates each
 * request with a bearer token (no cookie, so nothing to forge), and RFC 8058 one-click
 * unsubscribe is posted by mail programs, with the secret token in the URL.
 */
const EXEMPT = [/^\/api\//, /^\/interesse\/afmeld\/:token$/]

/**
 * Webhooks a provider calls are signed instead of posted from a form: the webhook area's
 * one hook checks the signature (config.webhook) before the body is read. They are walked
 * too, and must refuse an unsigned post (401), a signed-in admin's included. Only these
 * may be webhooks: a form route that declared itself one fails here.
 */
const WEBHOOKS = ['/webhooks/sms/indgaaende', '/webhooks/sms/status']

describe('CSRF', () => {
  it('every state-changing route refuses a request without a token with 403, and changes nothing', async () => {
    const t = await buildTestApp({ sms: { ...testConfig().sms, webhookSecret: 'csrf-walk-webhook-secret-0123456789' } })
    // Every kind of thing a route can act on, each with id 1.
    await createLocation(t.db)
    await insertPartner(t.db, { name: 'Seniorklubben', contact: null, note: null, archived_at: null, created_at: new Date().toISOString() })
    const { classId, meetingId } = await createClassToday(t.db, { capacity: 5 })
    await createClass(t.db, { capacity: 5 })
    const booked = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Grethe Hansen', phone: '+4512345678', email: 'grethe@example.dk' }), { source: 'phone', now: new Date(Date.now() - 86400_000) })
    const admin = await createStaff(t.db, 'admin', 'admin@bib.dk')
    const adminId = await staffIdOf(t.db, 'admin@bib.dk')
    await createStaff(t.db, 'volunteer', 'frida@bib.dk')
    const invite = await inviteStaffUser(t.db, asStaff(adminId), { email: 'ny@bib.dk', name: 'Ny Frivillig', role: 'volunteer' })
    const link = await createCheckinLink(t.db, asStaff(adminId), meetingId)
    await createApiToken(t.db, asStaff(adminId), { name: 'Hjemmesiden', scopes: [...API_SCOPES], expiresAt: '2099-01-01T00:00:00.000Z' })
    expect([classId, meetingId]).toEqual([1, 1])
    // A seat offer (id 1) to that booking, for the offer page and staff answering it.
    const offerToken = 'csrf-walk-offer-token-0123456789'
    await t.db.insertInto('seat_offers').values({ class_id: classId, booking_id: 1, token: offerToken, offered_at: new Date().toISOString(), deadline: new Date(Date.now() + 86400_000).toISOString(), state: 'open', answered_at: null, answered_via: null }).execute()

    const tokens: Record<string, string> = { '/tilmelding/': booked.token, '/personale/invitation/': invite.token, '/tjek-ind/adgang/': link.token, '/tilbud/': offerToken }
    const pathOf = (url: string) => url
      .replace(/:token/, () => Object.entries(tokens).find(([prefix]) => url.startsWith(prefix))?.[1] ?? 'x')
      .replace(/:slug/, 'mitid-kom-godt-i-gang')
      .replace(/:[A-Za-z]+/g, '1')
    const posts = t.app.routeTable.filter(r => r.method === 'POST' && !EXEMPT.some(e => e.test(r.url)))
    expect(posts.length).toBeGreaterThan(40)
    const isWebhook = (route: typeof posts[number]) => route.config?.webhook !== undefined
    expect(posts.filter(isWebhook).map(r => r.url).sort()).toEqual(WEBHOOKS)

    const signedIn = await signedInAgent(t.app, admin)
    const snapshot = async () => JSON.stringify(await Promise.all(['bookings', 'classes', 'locations', 'partners', 'staff_users', 'attendances', 'checkin_links', 'api_tokens', 'milestone_rules', 'participants', 'interest_subscriptions', 'class_staff', 'outbox', 'sms_numbers', 'sms_inbound', 'call_tasks', 'seat_offers'].map(async table => await t.db.selectFrom(table as 'bookings').selectAll().execute())))
    const before = await snapshot()
    const wrong: string[] = []
    for (const route of posts) {
      const path = pathOf(route.url)
      for (const [who, agent] of [['admin', signedIn], ['anonymous', request.agent(t.app.server)]] as const) {
        const res = await agent.post(path).type('form').send({ name: 'X', email: 'x@bib.dk', class_id: '2', staff_user_id: '2', confirm: '1', pin: '0000', type: 'in', booking_id: '1', allow: '1' })
        // Anonymous staff routes answer 401 (sign in first) before any token matters; a webhook, 401 without its signature.
        const ok = isWebhook(route) ? res.status === 401 : res.status === 403 || (who === 'anonymous' && res.status === 401)
        if (!ok) wrong.push(`${who} POST ${route.url} → ${res.status}`)
      }
    }
    expect(wrong).toEqual([])
    expect(await snapshot()).toEqual(before)
    await t.app.close()
  })
})
