import { describe, expect, it } from 'vitest'
import { bookSeat } from '../../server/services/booking-service.ts'
import { assignToClass, getStaffClasses } from '../../server/services/volunteer-service.ts'
import { bookingInput, createClass, createLocation, createStaff, asStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent } from '../helpers/http.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

describe('volunteers and instructors', () => {
  it('are assigned to classes, see only names and needs there, and have their hours counted', async () => {
    const t = await buildTestApp()
    const leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const fridaLogin = await createStaff(t.db, 'volunteer', 'frida@bib.dk')
    const otherLogin = await createStaff(t.db, 'volunteer', 'ole@bib.dk')
    const fridaId = (await t.db.selectFrom('staff_users').select('id').where('email', '=', 'frida@bib.dk').executeTakeFirstOrThrow()).id

    const coming = await createClass(t.db, { capacity: 5, meetings: ['2030-03-05T10:00', '2030-03-12T10:00'], minutes: 90 })
    const past = await createClass(t.db, { capacity: 5, meetings: ['2020-03-05T10:00'], minutes: 120 })
    const cancelled = await createClass(t.db, { capacity: 5, cancelled: true, meetings: ['2030-04-05T10:00'], minutes: 120 })
    await bookSeat(t.db, CITIZEN, coming, bookingInput({ name: 'Grethe Hansen', phone: '+4522223333', email: 'grethe@example.dk', birthYear: 1944, needsHearingLoop: true }), { source: 'online' })

    for (const classId of [coming, past, cancelled]) {
      const page = await leader.get(`/personale/hold/${classId}`)
      const res = await leader.post(`/personale/hold/${classId}/personale`).type('form').send({ _csrf: csrfOf(page.text), staff_user_id: String(fridaId), task: 'helper' })
      expect(res.status).toBe(303)
    }
    const classPage = await leader.get(`/personale/hold/${coming}`).expect(200)
    expect(classPage.text).toContain('Test volunteer</a> (hjælper)')

    const hours = await getStaffClasses(t.db, fridaId)
    expect(hours).toMatchObject({ hoursDone: 2, hoursPlanned: 3 })
    expect(hours.coming.map(c => c.id).sort()).toEqual([coming, cancelled].sort())
    expect(hours.past.map(c => c.id)).toEqual([past])

    const frida = await signedInAgent(t.app, fridaLogin)
    const overview = await frida.get('/personale').expect(200)
    expect(overview.text).toContain(`href="/personale/mine-hold/${coming}"`)
    expect(overview.text).toContain('2 timer undervist, 3 timer planlagt')
    const mine = await frida.get(`/personale/mine-hold/${coming}`).expect(200)
    expect(mine.text).toContain('Grethe Hansen')
    expect(mine.text).toContain('Teleslynge')
    expect(mine.text).not.toContain('22 22 33 33')
    expect(mine.text).not.toContain('grethe@example.dk')
    expect(mine.text).not.toContain('1944')
    expect((await frida.get(`/personale/hold/${coming}`)).status).toBe(403)

    const ole = await signedInAgent(t.app, otherLogin)
    expect((await ole.get(`/personale/mine-hold/${coming}`)).status).toBe(403)

    const profile = await leader.get(`/personale/frivillige/${fridaId}`).expect(200)
    expect(profile.text).toContain('2 timer')
    expect(profile.text).toContain('Tidligere hold')

    const remove = await leader.post(`/personale/hold/${coming}/personale/${fridaId}/fjern`).type('form').send({ _csrf: csrfOf(classPage.text) })
    expect(remove.status).toBe(303)
    expect((await frida.get(`/personale/mine-hold/${coming}`)).status).toBe(403)
    const actions = (await t.db.selectFrom('audit_log').select('action').execute()).map(a => a.action)
    expect(actions.filter(a => a === 'staff_assigned')).toHaveLength(3)
    expect(actions).toContain('staff_unassigned')
    await t.app.close()
  })

  it('are assigned only while their account is active, whoever asks', async () => {
    const t = await buildTestApp()
    const leaderLogin = await createStaff(t.db, 'leader')
    const leader = await signedInAgent(t.app, leaderLogin)
    await createStaff(t.db, 'volunteer', 'frida@bib.dk')
    const ids = await t.db.selectFrom('staff_users').select(['id', 'email']).execute()
    const fridaId = ids.find(u => u.email === 'frida@bib.dk')!.id
    const leaderId = ids.find(u => u.email === leaderLogin.email)!.id
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    await t.db.updateTable('staff_users').set({ active: 0 }).where('id', '=', fridaId).execute()

    const page = await leader.get(`/personale/hold/${classId}`)
    const res = await leader.post(`/personale/hold/${classId}/personale`).type('form').send({ _csrf: csrfOf(page.text), staff_user_id: String(fridaId), task: 'helper' })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe(`/personale/hold/${classId}`)
    expect(await assignToClass(t.db, asStaff(leaderId), classId, fridaId, 'helper')).toBe(false)
    expect(await assignToClass(t.db, asStaff(leaderId), classId, 999999, 'helper')).toBe(false)
    expect(await t.db.selectFrom('class_staff').selectAll().execute()).toEqual([])
    expect(await t.db.selectFrom('audit_log').select('id').where('action', '=', 'staff_assigned').execute()).toEqual([])

    await t.db.updateTable('staff_users').set({ active: 1 }).where('id', '=', fridaId).execute()
    expect(await assignToClass(t.db, asStaff(leaderId), classId, fridaId, 'helper')).toBe(true)
    expect(await t.db.selectFrom('class_staff').select('staff_user_id').execute()).toEqual([{ staff_user_id: fridaId }])
    await t.app.close()
  })
})

describe('a volunteer profile', () => {
  it('keeps name, phone and the places they help at, shown to leaders', async () => {
    const t = await buildTestApp()
    const club = await createLocation(t.db, { name: 'Seniorklubben Solsikken' })
    await createLocation(t.db, { name: 'Hovedbiblioteket' })
    const frida = await signedInAgent(t.app, await createStaff(t.db, 'volunteer', 'frida@bib.dk'))
    const form = await frida.get('/personale/profil').expect(200)
    const bad = await frida.post('/personale/profil').type('form').send({ _csrf: csrfOf(form.text), name: 'Frida Frivillig', phone: '12', locations: String(club) })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('Telefonnummeret ser forkert ud')
    expect(bad.text).toContain('value="Frida Frivillig"')
    expect(bad.text).toMatch(new RegExp(`id="f-location-${club}" name="locations" value="${club}" checked`))
    await frida.post('/personale/profil').type('form').send({ _csrf: csrfOf(bad.text), name: 'Frida Frivillig', phone: '20 30 40 50', locations: String(club) }).expect(303)
    const fridaId = (await t.db.selectFrom('staff_users').select('id').where('email', '=', 'frida@bib.dk').executeTakeFirstOrThrow()).id
    const leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const page = await leader.get(`/personale/frivillige/${fridaId}`).expect(200)
    expect(page.text).toContain('Frida Frivillig')
    expect(page.text).toContain('20 30 40 50')
    expect(page.text).toContain('Hjælper på: Seniorklubben Solsikken')
    await t.app.close()
  })
})
