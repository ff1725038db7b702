import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createClass, createStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent } from '../helpers/http.ts'

describe('first run: the first admin', () => {
  it('is offered while no staff user exists, once only', async () => {
    const t = await buildTestApp()
    const redirect = await request(t.app.server).get('/personale/log-ind').expect(303)
    expect(redirect.headers.location).toBe('/personale/opret-administrator')

    const agent = request.agent(t.app.server)
    const form = await agent.get('/personale/opret-administrator').expect(200)
    expect(form.text).toContain('Opret den første administrator')

    const bad = await agent.post('/personale/opret-administrator').type('form')
      .send({ _csrf: csrfOf(form.text), name: 'Anne Admin', email: 'anne@bib', password: 'kort', password_repeat: 'andet' })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('Skriv en gyldig e-mailadresse')
    expect(bad.text).toContain('mindst 12 tegn')
    expect(bad.text).toContain('De to adgangskoder er ikke ens.')
    expect(bad.text).toContain('value="Anne Admin"')

    const good = await agent.post('/personale/opret-administrator').type('form')
      .send({ _csrf: csrfOf(bad.text), name: 'Anne Admin', email: 'Anne@Bib.dk', password: 'en lang og sikker adgangskode', password_repeat: 'en lang og sikker adgangskode' })
    expect(good.status).toBe(303)
    const overview = await agent.get('/personale').expect(200)
    expect(overview.text).toContain('Logget ind som <strong>Anne Admin</strong> (Administrator)')

    // Once only: the page is gone, and a second post creates nobody.
    expect((await request(t.app.server).get('/personale/opret-administrator')).headers.location).toBe('/personale/log-ind')
    const again = await request(t.app.server).post('/personale/opret-administrator').type('form').send({ name: 'Mallory', email: 'm@bib.dk', password: 'en lang og sikker adgangskode', password_repeat: 'en lang og sikker adgangskode' })
    expect(again.status).toBe(403)
    const fresh = request.agent(t.app.server)
    const page = await fresh.get('/kurser/mitid-kom-godt-i-gang')
    const withToken = await fresh.post('/personale/opret-administrator').type('form').send({ _csrf: csrfOf(page.text), name: 'Mallory', email: 'm@bib.dk', password: 'en lang og sikker adgangskode', password_repeat: 'en lang og sikker adgangskode' })
    expect(withToken.headers.location).toBe('/personale/log-ind')
    const users = await t.db.selectFrom('staff_users').select(['email', 'role']).execute()
    expect(users).toEqual([{ email: 'anne@bib.dk', role: 'admin' }])
    await t.app.close()
  })

  it('sends every staff page of a new installation to the first-admin form, and stops once there is staff', async () => {
    const t = await buildTestApp()
    for (const path of ['/personale', '/personale/hold/ny', '/personale/profil']) {
      const res = await request(t.app.server).get(path)
      expect(res.status, path).toBe(303)
      expect(res.headers.location, path).toBe('/personale/opret-administrator')
    }
    await createStaff(t.db, 'admin')
    const signIn = await request(t.app.server).get('/personale').expect(401)
    expect(signIn.text).toContain('Du skal logge ind for at se siden.')
    await t.app.close()
  })

  it('says an empty name is missing, not that it is too long', async () => {
    const t = await buildTestApp()
    const agent = request.agent(t.app.server)
    const form = await agent.get('/personale/opret-administrator').expect(200)
    const res = await agent.post('/personale/opret-administrator').type('form')
      .send({ _csrf: csrfOf(form.text), name: '  ', email: 'anne@bib.dk', password: 'en lang og sikker adgangskode', password_repeat: 'en lang og sikker adgangskode' })
    expect(res.status).toBe(400)
    expect(res.text).toMatch(/id="f-name-error">.*Skriv dit navn\./)
    expect(res.text).not.toContain('højst 100 tegn')
    const long = await agent.post('/personale/opret-administrator').type('form')
      .send({ _csrf: csrfOf(res.text), name: 'A'.repeat(101), email: 'anne@bib.dk', password: 'en lang og sikker adgangskode', password_repeat: 'en lang og sikker adgangskode' })
    expect(long.text).toMatch(/id="f-name-error">.*højst 100 tegn/)
    await t.app.close()
  })
})

describe('signing in and out', () => {
  it('refuses a wrong password in Danish, keeps the e-mail, and signs in with the right one', async () => {
    const t = await buildTestApp()
    const leader = await createStaff(t.db, 'leader', 'lise@bib.dk')
    const agent = request.agent(t.app.server)
    const page = await agent.get('/personale/log-ind').expect(200)
    expect(page.text).toMatch(/<label class="form-label" for="f-email">E-mail<\/label>/)

    const wrong = await agent.post('/personale/log-ind').type('form').send({ _csrf: csrfOf(page.text), email: 'lise@bib.dk', password: 'forkert adgangskode' })
    expect(wrong.status).toBe(401)
    expect(wrong.text).toContain('E-mail eller adgangskode er forkert.')
    expect(wrong.text).toContain('value="lise@bib.dk"')
    const unknown = await agent.post('/personale/log-ind').type('form').send({ _csrf: csrfOf(wrong.text), email: 'nobody@bib.dk', password: 'forkert adgangskode' })
    expect(unknown.status).toBe(401)

    const right = await agent.post('/personale/log-ind').type('form').send({ _csrf: csrfOf(unknown.text), email: ' LISE@bib.dk ', password: leader.password, next: '/personale' })
    expect(right.status).toBe(303)
    expect(right.headers.location).toBe('/personale')
    const cookie = (right.headers['set-cookie'] as unknown as string[]).join(';')
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Lax/i)

    const overview = await agent.get('/personale').expect(200)
    expect(overview.headers['cache-control']).toBe('no-store')
    const out = await agent.post('/personale/log-ud').type('form').send({ _csrf: csrfOf(overview.text) })
    expect(out.headers.location).toBe('/personale/log-ind?logget-ud=1')
    expect((await agent.get('/personale')).status).toBe(401)
    await t.app.close()
  })

  it('never redirects outside the staff area after sign-in', async () => {
    const t = await buildTestApp()
    const admin = await createStaff(t.db, 'admin')
    const agent = request.agent(t.app.server)
    const page = await agent.get('/personale/log-ind?next=https://evil.example')
    expect(page.text).toContain('name="next" value="/personale"')
    const res = await agent.post('/personale/log-ind').type('form').send({ _csrf: csrfOf(page.text), ...admin, next: '//evil.example/personale' })
    expect(res.headers.location).toBe('/personale')
    await t.app.close()
  })

  it('needs a CSRF token and rate-limits sign-in attempts', async () => {
    const t = await buildTestApp()
    await createStaff(t.db, 'admin')
    const noToken = await request(t.app.server).post('/personale/log-ind').type('form').send({ email: 'a@bib.dk', password: 'x' })
    expect(noToken.status).toBe(403)
    let last = 0
    for (let i = 0; i < 10; i++) last = (await request(t.app.server).post('/personale/log-ind').type('form').send({ email: 'a@bib.dk', password: 'x' })).status
    expect(last).toBe(429)
    await t.app.close()
  })

  it('does not let a deactivated user in', async () => {
    const t = await buildTestApp()
    const volunteer = await createStaff(t.db, 'volunteer', 'frida@bib.dk')
    const agent = await signedInAgent(t.app, volunteer)
    expect((await agent.get('/personale')).status).toBe(200)
    await t.db.updateTable('staff_users').set({ active: 0 }).where('email', '=', 'frida@bib.dk').execute()
    expect((await agent.get('/personale')).status).toBe(401)
    await expect(signedInAgent(t.app, volunteer)).rejects.toThrow('sign-in failed with 401')
    await t.app.close()
  })
})

describe('the staff overview', () => {
  it('shows leaders the upcoming classes with fill rate and waiting list, and volunteers no participant data', async () => {
    const t = await buildTestApp()
    await createClass(t.db, { capacity: 8, meetings: ['2030-03-05T10:00'] })
    const leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const page = await leader.get('/personale').expect(200)
    expect(page.text).toContain('Kom godt i gang med MitID')
    expect(page.text).toContain('0 af 8')
    const volunteer = await signedInAgent(t.app, await createStaff(t.db, 'volunteer'))
    const vpage = await volunteer.get('/personale').expect(200)
    expect(vpage.text).not.toContain('0 af 8')
    await t.app.close()
  })
})

describe('audit log', () => {
  it('records who created which staff user, without personal data, and only admins can read it', async () => {
    const t = await buildTestApp()
    const admin = await createStaff(t.db, 'admin', 'boss@bib.dk')
    await createStaff(t.db, 'volunteer', 'frivillig.person@bib.dk')
    const entries = await t.db.selectFrom('audit_log').selectAll().execute()
    expect(entries.map(e => e.action)).toEqual(['staff_user_created', 'staff_user_created'])
    expect(JSON.stringify(entries)).not.toContain('frivillig.person@bib.dk')
    const page = await (await signedInAgent(t.app, admin)).get('/personale/revisionslog').expect(200)
    expect(page.text).toContain('staff_user_created')
    expect(page.text).toContain('role=volunteer')
    await t.app.close()
  })
})
