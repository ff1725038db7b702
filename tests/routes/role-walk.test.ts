import request from 'supertest'
import { describe, expect, it } from 'vitest'
import type { StaffRole } from '../../server/db/schema.ts'
import { insertPartner } from '../../server/repositories/partner-repository.ts'
import { CITIZEN } from '../../server/domain/actor.ts'
import { API_SCOPES } from '../../server/domain/api-token.ts'
import { isStaffAccess } from '../../server/plugins/auth.ts'
import { createApiToken } from '../../server/services/api-token-service.ts'
import { inviteStaffUser } from '../../server/services/staff-service.ts'
import { assignToClass } from '../../server/services/volunteer-service.ts'
import { asStaff, bookingInput, bookNew, createClass, createClassToday, createLocation, createStaff, staffIdOf } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent } from '../helpers/http.ts'

const ROLES: StaffRole[] = ['volunteer', 'leader', 'admin']
const below = (role: StaffRole): StaffRole[] => ROLES.slice(0, ROLES.indexOf(role))

/** An id nothing has: a POST that gets through reaches its handler and changes nothing. */
const NONE = '999999'

/** The only staff pages open without signing in: a route made public by mistake fails here. */
const PUBLIC = [
  'GET /personale/log-ind', 'POST /personale/log-ind', 'POST /personale/log-ud',
  'GET /personale/opret-administrator', 'POST /personale/opret-administrator',
  'GET /personale/invitation/:token', 'POST /personale/invitation/:token'
]

/** What only an administrator may do: staff users, API keys, the audit log, a participant's data export and erasure. */
const ADMIN_ONLY = /^\/personale\/(brugere|api-noegler|revisionslog|deltagere\/:id\/(eksport|slet))/

type Agent = ReturnType<typeof request.agent>

/**
 * A refusal a handler makes after the role check: a volunteer's page of a class also needs
 * them on that class, and nobody is on class 999999.
 */
const onClassOnly = (html: string) => html.includes('Du er ikke sat på dette hold')

/**
 * Walks every staff route in `routeTable` (every URL under /personale), as the CSRF walk
 * does: each declares its role, and the one hook of the staff area holds to it.
 */
describe('every staff route checks its declared role on the server', () => {
  it('refuses no session and every role below the declared one, and lets the declared role through', async () => {
    const t = await buildTestApp()
    const staffRoutes = t.app.routeTable.filter(r => r.method !== 'HEAD' && /^\/personale(\/|$)/.test(r.url))
    expect(staffRoutes.length).toBeGreaterThan(75)
    // A route without a role stops the start in the staff area; one registered elsewhere fails here.
    expect(staffRoutes.filter(r => !isStaffAccess(r.config?.role)).map(r => `${r.method} ${r.url}`)).toEqual([])
    const roleOf = (route: typeof staffRoutes[number]) => route.config?.role ?? 'admin'
    expect(staffRoutes.filter(r => roleOf(r) === 'public').map(r => `${r.method} ${r.url}`).sort()).toEqual([...PUBLIC].sort())
    const adminOnly = staffRoutes.filter(r => ADMIN_ONLY.test(r.url))
    expect(adminOnly.length).toBeGreaterThan(7)
    expect(adminOnly.filter(r => roleOf(r) !== 'admin').map(r => `${r.method} ${r.url}`)).toEqual([])
    const guarded = staffRoutes.filter(r => roleOf(r) !== 'public')
    const wrong: string[] = []

    // A new installation: nobody to sign in as, so every guarded page leads to the first administrator.
    for (const route of guarded) {
      const res = await request(t.app.server)[route.method === 'POST' ? 'post' : 'get'](route.url.replace(/:[A-Za-z]+/g, '1'))
      if (res.status !== 303 || res.headers.location !== '/personale/opret-administrator') wrong.push(`first start ${route.method} ${route.url} → ${res.status} ${String(res.headers.location)}`)
    }

    // One of everything, each with id 1; the volunteer helps on class 1.
    const admin = await createStaff(t.db, 'admin', 'admin@bib.dk')
    const adminId = await staffIdOf(t.db, 'admin@bib.dk')
    const leader = await createStaff(t.db, 'leader', 'leder@bib.dk')
    const volunteer = await createStaff(t.db, 'volunteer', 'frida@bib.dk')
    const spare = await createStaff(t.db, 'volunteer', 'ole@bib.dk')
    await createLocation(t.db)
    await insertPartner(t.db, { name: 'Seniorklubben', contact: null, note: null, archived_at: null, created_at: new Date().toISOString() })
    const { classId, meetingId } = await createClassToday(t.db, { capacity: 5 })
    await createClass(t.db, { capacity: 5 })
    await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Grethe Hansen', phone: '+4512345678', email: 'grethe@example.dk' }), { source: 'phone', now: new Date(Date.now() - 86400_000) })
    await assignToClass(t.db, asStaff(adminId), classId, await staffIdOf(t.db, 'frida@bib.dk'), 'helper')
    const invite = await inviteStaffUser(t.db, asStaff(adminId), { email: 'ny@bib.dk', name: 'Ny Frivillig', role: 'volunteer' })
    await createApiToken(t.db, asStaff(adminId), { name: 'Hjemmesiden', scopes: [...API_SCOPES], expiresAt: '2099-01-01T00:00:00.000Z' })
    expect([adminId, classId, meetingId]).toEqual([1, 1, 1])

    const agents: Record<StaffRole, Agent> = {
      volunteer: await signedInAgent(t.app, volunteer),
      leader: await signedInAgent(t.app, leader),
      admin: await signedInAgent(t.app, admin)
    }
    const csrf = new Map<Agent, string>()
    for (const role of ROLES) csrf.set(agents[role], csrfOf((await agents[role].get('/personale/profil').expect(200)).text))
    /** Someone not signed in, with a form open: a fresh one each time, as signing in or out changes the session. */
    const anonymous = async (): Promise<Agent> => {
      const agent = request.agent(t.app.server)
      csrf.set(agent, csrfOf((await agent.get('/personale/log-ind').expect(200)).text))
      return agent
    }

    /** A GET names things that exist; a POST names ids and a token that do not, so it changes nothing. */
    const pathOf = (method: string, url: string) => url
      .replace(/:token/, method === 'GET' ? invite.token : 'x'.repeat(43))
      .replace(/:slug/, 'mitid-kom-godt-i-gang')
      .replace(/:[A-Za-z]+/g, method === 'GET' ? '1' : NONE)
    const send = async (agent: Agent, method: string, url: string, withToken = true) => {
      const path = pathOf(method, url)
      if (method === 'GET') return await agent.get(path)
      // Signing in is let through when it signs someone in; wrong credentials are its own 401.
      const body = url === '/personale/log-ind' ? spare : {}
      return await agent.post(path).type('form').send(withToken ? { _csrf: csrf.get(agent), ...body } : body)
    }

    // Ending every session of a role goes last: its agent is signed out afterwards.
    const endsSessions = (url: string) => url === '/personale/profil/log-ud-alle-steder'
    const ordered = [...staffRoutes].sort((a, b) => Number(endsSessions(a.url)) - Number(endsSessions(b.url)))
    for (const route of ordered) {
      const role = roleOf(route)
      const name = `${route.method} ${route.url} (${role})`
      if (role !== 'public') {
        const res = await send(request.agent(t.app.server), route.method, route.url, false)
        if (res.status !== 401 || !res.text.includes('Du skal logge ind for at se siden.')) wrong.push(`no session ${name} → ${res.status}`)
        for (const lower of below(role)) {
          const res = await send(agents[lower], route.method, route.url, false)
          if (res.status !== 403 || !res.text.includes('Din rolle giver ikke adgang')) wrong.push(`${lower} ${name} → ${res.status}`)
        }
      }
      const res = await send(role === 'public' ? await anonymous() : agents[role], route.method, route.url)
      if (res.status === 401 || (res.status === 403 && !onClassOnly(res.text)) || res.status >= 500) wrong.push(`${role === 'public' ? 'no session' : role} ${name} → ${res.status}`)
    }
    expect(wrong).toEqual([])
  })
})
