import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent } from '../helpers/http.ts'

describe('admins invite and deactivate staff', () => {
  it('invites a volunteer, who chooses a password from the link once and can then sign in', async () => {
    const t = await buildTestApp()
    const admin = await signedInAgent(t.app, await createStaff(t.db, 'admin', 'anne@bib.dk'))
    const page = await admin.get('/personale/brugere').expect(200)

    const bad = await admin.post('/personale/brugere').type('form').send({ _csrf: csrfOf(page.text), name: 'Frida', email: 'frida@', role: 'boss' })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('Skriv en gyldig e-mailadresse')
    expect(bad.text).toContain('Vælg en rolle')
    expect(bad.text).toContain('value="Frida"')

    const invited = await admin.post('/personale/brugere').type('form').send({ _csrf: csrfOf(bad.text), name: 'Frida Frivillig', email: 'Frida@Bib.dk', role: 'volunteer' })
    expect(invited.status).toBe(201)
    const link = /http:\/\/kurser\.test(\/personale\/invitation\/[A-Za-z0-9_-]+)/.exec(invited.text)?.[1] ?? ''
    expect(link).not.toBe('')
    const row = await t.db.selectFrom('staff_users').selectAll().where('email', '=', 'frida@bib.dk').executeTakeFirstOrThrow()
    expect(row.password_hash).toBeNull()
    expect(row.invite_token_hash).not.toContain(link.split('/').pop() ?? 'x')

    const taken = await admin.post('/personale/brugere').type('form').send({ _csrf: csrfOf(invited.text), name: 'Frida igen', email: 'frida@bib.dk', role: 'leader' })
    expect(taken.status).toBe(409)
    expect(taken.text).toContain('Der findes allerede en bruger med den e-mail.')

    const frida = request.agent(t.app.server)
    const form = await frida.get(link).expect(200)
    expect(form.text).toContain('Velkommen, Frida Frivillig')
    const mismatch = await frida.post(link).type('form').send({ _csrf: csrfOf(form.text), password: 'en lang og sikker adgangskode', password_repeat: 'noget andet' })
    expect(mismatch.status).toBe(400)
    expect(mismatch.text).toContain('De to adgangskoder er ikke ens.')
    const set = await frida.post(link).type('form').send({ _csrf: csrfOf(mismatch.text), password: 'en lang og sikker adgangskode', password_repeat: 'en lang og sikker adgangskode' })
    expect(set.status).toBe(303)
    expect((await frida.get('/personale')).status).toBe(200)
    expect((await request(t.app.server).get(link)).status).toBe(404)
    await signedInAgent(t.app, { email: 'frida@bib.dk', password: 'en lang og sikker adgangskode' })
    await t.app.close()
  })

  it('deactivates a user, who is then signed out; an admin cannot deactivate themselves', async () => {
    const t = await buildTestApp()
    const admin = await signedInAgent(t.app, await createStaff(t.db, 'admin', 'anne@bib.dk'))
    const leaderCredentials = await createStaff(t.db, 'leader', 'lise@bib.dk')
    const leader = await signedInAgent(t.app, leaderCredentials)
    const ids = Object.fromEntries((await t.db.selectFrom('staff_users').select(['id', 'email']).execute()).map(u => [u.email, u.id]))
    const page = await admin.get('/personale/brugere')
    await admin.post(`/personale/brugere/${ids['lise@bib.dk']}/aktiv`).type('form').send({ _csrf: csrfOf(page.text), active: '0' }).expect(303)
    expect((await leader.get('/personale')).status).toBe(401)
    await expect(signedInAgent(t.app, leaderCredentials)).rejects.toThrow()
    const self = await admin.post(`/personale/brugere/${ids['anne@bib.dk']}/aktiv`).type('form').send({ _csrf: csrfOf(page.text), active: '0' })
    expect(self.status).toBe(409)
    await admin.post(`/personale/brugere/${ids['lise@bib.dk']}/aktiv`).type('form').send({ _csrf: csrfOf(page.text), active: '1' }).expect(303)
    await signedInAgent(t.app, leaderCredentials)
    const actions = (await t.db.selectFrom('audit_log').select('action').execute()).map(a => a.action)
    expect(actions).toContain('staff_user_deactivated')
    expect(actions).toContain('staff_user_reactivated')
    await t.app.close()
  })
})
