import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { inviteStaffUser } from '../../server/services/staff-service.ts'
import { buildTestApp, createStaff, csrfOf, signedInAgent, staffIdOf, type TestApp } from '../helpers/app.ts'

describe('an invitation link is used once, even by four requests at the same moment', () => {
  let t: TestApp
  beforeEach(async () => { t = await buildTestApp() })
  afterEach(async () => { await t.app.close() })

  it('sets one password and signs in one browser; the other three get a Danish 4xx page', async () => {
    const admin = await createStaff(t.db, 'admin')
    const { token } = await inviteStaffUser(t.db, { email: 'frida@bib.dk', name: 'Frida Frivillig', role: 'volunteer' }, await staffIdOf(t.db, admin.email))
    const usersBefore = (await t.db.selectFrom('staff_users').select('id').execute()).length
    const link = `/personale/invitation/${token}`
    const browsers = await Promise.all([0, 1, 2, 3].map(async () => {
      const agent = request.agent(t.app.server)
      return { agent, csrf: csrfOf((await agent.get(link).expect(200)).text) }
    }))

    const answers = await Promise.all(browsers.map(async ({ agent, csrf }, i) => {
      const password = `adgangskode nummer ${i} er lang nok`
      return await agent.post(link).type('form').send({ _csrf: csrf, password, password_repeat: password })
    }))

    const statuses = answers.map(a => a.status)
    expect(statuses.filter(s => s === 303)).toHaveLength(1)
    const refused = answers.filter(a => a.status !== 303)
    for (const answer of refused) {
      expect(answer.status).toBeGreaterThanOrEqual(400)
      expect(answer.status).toBeLessThan(500)
      expect(answer.text).toContain('Invitationen er brugt eller udløbet')
    }
    // Only the browser that won is signed in, and only its password works.
    const winner = statuses.indexOf(303)
    for (const [i, { agent }] of browsers.entries()) {
      const home = await agent.get('/personale')
      if (i === winner) expect(home.status).toBe(200)
      else expect(home.status).not.toBe(200)
    }
    await signedInAgent(t.app, { email: 'frida@bib.dk', password: `adgangskode nummer ${winner} er lang nok` })
    expect((await t.db.selectFrom('staff_users').select('id').execute()).length).toBe(usersBefore)
    const accepted = await t.db.selectFrom('audit_log').select('id').where('action', '=', 'staff_invitation_accepted').execute()
    expect(accepted).toHaveLength(1)
  })
})
