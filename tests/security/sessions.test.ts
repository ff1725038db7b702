import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { createClass, createStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInCookie, type TestApp } from '../helpers/http.ts'

/**
 * Item 3 of issue 14: a session cookie copied before the user signs out (or changes the
 * password, or is deactivated, or ends every session) opens nothing afterwards.
 */
describe('signing out ends the session on the server', () => {
  let t: TestApp
  afterEach(async () => { await t.app.close() })

  const get = async (cookie: string, path: string) => await request(t.app.server).get(path).set('cookie', cookie)
  const csrfOn = async (cookie: string, path = '/personale') => {
    const page = await get(cookie, path)
    expect(page.status).toBe(200)
    return csrfOf(page.text)
  }

  /** A leader and a class; the cookie opens the staff area and the participant CSV. */
  async function setUp () {
    t = await buildTestApp()
    const leader = await createStaff(t.db, 'leader', 'lise@bib.dk')
    const classId = await createClass(t.db)
    const copied = await signedInCookie(t.app, leader)
    expect((await get(copied, '/personale')).status).toBe(200)
    expect((await get(copied, `/personale/hold/${classId}/deltagere.csv`)).status).toBe(200)
    return { leader, classId, copied }
  }

  async function expectShut (cookie: string, classId: number) {
    const overview = await get(cookie, '/personale')
    expect(overview.status).toBe(401)
    expect(overview.text).toContain('Du skal logge ind')
    const csv = await get(cookie, `/personale/hold/${classId}/deltagere.csv`)
    expect(csv.status).toBe(401)
    expect(csv.headers['content-type']).not.toContain('text/csv')
  }

  it('after "Log ud", a copy of the cookie opens neither /personale nor the participant CSV; a fresh sign-in works', async () => {
    const { leader, classId, copied } = await setUp()
    const out = await request(t.app.server).post('/personale/log-ud').set('cookie', copied).type('form').send({ _csrf: await csrfOn(copied) })
    expect(out.headers.location).toBe('/personale/log-ind?logget-ud=1')
    await expectShut(copied, classId)
    const fresh = await signedInCookie(t.app, leader)
    expect((await get(fresh, '/personale')).status).toBe(200)
  })

  it('after a password change, other sessions end; the one that changed it goes on, and only the new password signs in', async () => {
    const { leader, classId, copied } = await setUp()
    const own = await signedInCookie(t.app, leader)
    const newPassword = 'et helt nyt og langt kodeord'
    const form = await csrfOn(own, '/personale/profil')
    const wrong = await request(t.app.server).post('/personale/profil/adgangskode').set('cookie', own).type('form')
      .send({ _csrf: form, current_password: 'forkert adgangskode', password: newPassword, password_repeat: newPassword })
    expect(wrong.status).toBe(400)
    expect(wrong.text).toContain('Din nuværende adgangskode er forkert.')
    expect((await get(copied, '/personale')).status).toBe(200)

    const changed = await request(t.app.server).post('/personale/profil/adgangskode').set('cookie', own).type('form')
      .send({ _csrf: form, current_password: leader.password, password: newPassword, password_repeat: newPassword })
    expect(changed.status).toBe(303)
    expect(changed.headers.location).toBe('/personale/profil?adgangskode=1')
    const renewed = (changed.headers['set-cookie'] as unknown as string[]).map(c => c.split(';')[0]).join('; ')
    expect((await get(renewed, '/personale/profil?adgangskode=1')).text).toContain('Din adgangskode er skiftet.')
    await expectShut(copied, classId)
    await expectShut(own, classId)
    await expect(signedInCookie(t.app, leader)).rejects.toThrow('sign-in failed with 401')
    expect((await get(await signedInCookie(t.app, { ...leader, password: newPassword }), '/personale')).status).toBe(200)
  })

  it('after deactivation the cookie stops working, and stays stopped when the user is reactivated', async () => {
    const { leader, classId, copied } = await setUp()
    const admin = await signedInCookie(t.app, await createStaff(t.db, 'admin'))
    const id = (await t.db.selectFrom('staff_users').select('id').where('email', '=', leader.email).executeTakeFirstOrThrow()).id
    for (const active of ['0', '1']) {
      const res = await request(t.app.server).post(`/personale/brugere/${id}/aktiv`).set('cookie', admin).type('form')
        .send({ _csrf: await csrfOn(admin, '/personale/brugere'), active })
      expect(res.status).toBe(303)
      await expectShut(copied, classId)
    }
    expect((await get(await signedInCookie(t.app, leader), '/personale')).status).toBe(200)
  })

  it('"Log ud alle steder" on the profile page ends every session of the user, from another one', async () => {
    const { leader, classId, copied } = await setUp()
    const other = await signedInCookie(t.app, leader)
    const profile = await get(other, '/personale/profil')
    expect(profile.text).toContain('Log ud alle steder')
    const noToken = await request(t.app.server).post('/personale/profil/log-ud-alle-steder').set('cookie', other).type('form').send({})
    expect(noToken.status).toBe(403)
    expect((await get(copied, '/personale')).status).toBe(200)

    const res = await request(t.app.server).post('/personale/profil/log-ud-alle-steder').set('cookie', other).type('form').send({ _csrf: csrfOf(profile.text) })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/personale/log-ind?logget-ud=alle')
    const page = await request(t.app.server).get('/personale/log-ind?logget-ud=alle')
    expect(page.text).toContain('Du er logget ud alle steder.')
    await expectShut(copied, classId)
    await expectShut(other, classId)
    expect((await get(await signedInCookie(t.app, leader), '/personale')).status).toBe(200)
    const audit = await t.db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'staff_sessions_ended').execute()
    expect(audit).toEqual([{ action: 'staff_sessions_ended', detail: null }])
  })

  it('a sign-out does not end another user\'s sessions', async () => {
    const { copied } = await setUp()
    const someone = await signedInCookie(t.app, await createStaff(t.db, 'volunteer'))
    await request(t.app.server).post('/personale/log-ud').set('cookie', someone).type('form').send({ _csrf: await csrfOn(someone) }).expect(303)
    expect((await get(copied, '/personale')).status).toBe(200)
  })
})
