import { describe, expect, it } from 'vitest'
import { bookSeat } from '../../server/services/booking-service.ts'
import { bookingInput, createClass, createStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent } from '../helpers/http.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

const input = (name: string, phone: string | null, email: string | null = null) => bookingInput({ name, phone, email })

describe('participants as people', () => {
  it('recognises the same person across classes, keeps a couple sharing a phone apart, and merges records', async () => {
    const t = await buildTestApp()
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const a = await createClass(t.db, { course: 'mitid-kom-godt-i-gang', meetings: ['2030-03-05T10:00'] })
    const b = await createClass(t.db, { course: 'mitid-appen', meetings: ['2030-03-12T10:00'] })
    const c = await createClass(t.db, { course: 'digital-post-laes-og-svar', meetings: ['2030-03-19T10:00'] })

    await bookSeat(t.db, CITIZEN, a, input('Grethe Hansen', '+4512345678'), { source: 'online' })
    await bookSeat(t.db, CITIZEN, b, input('grethe hansen', '+4512345678', 'grethe@example.dk'), { source: 'online' })
    await bookSeat(t.db, CITIZEN, b, input('Hans Hansen', '+4512345678'), { source: 'online' })
    await bookSeat(t.db, CITIZEN, c, input('Grethe H.', null, 'grethe@example.dk'), { source: 'online' })

    const people = await t.db.selectFrom('participants').selectAll().orderBy('id').execute()
    // A later booking's e-mail is that booking's: it never fills in the stored person.
    expect(people.map(p => [p.name, p.phone, p.email])).toEqual([
      ['Grethe Hansen', '+4512345678', null],
      ['Hans Hansen', '+4512345678', null],
      ['Grethe H.', null, 'grethe@example.dk']
    ])
    const [grethe, , gretheH] = people

    const search = await agent.get('/personale/deltagere?q=12 34 56 78').expect(200)
    expect(search.text).toContain('2 deltagere')
    expect((await agent.get('/personale/deltagere?q=grethe')).text).toContain(`href="/personale/deltagere/${gretheH!.id}"`)
    // By name, whatever the case, on either database (Hans has no e-mail to match on).
    expect((await agent.get('/personale/deltagere?q=hans hansen')).text).toContain(`href="/personale/deltagere/${people[1]!.id}"`)
    expect((await agent.get('/personale/deltagere?q=HANS')).text).toContain(`href="/personale/deltagere/${people[1]!.id}"`)

    const page = await agent.get(`/personale/deltagere/${grethe!.id}`).expect(200)
    expect(page.text).toContain('Kom godt i gang med MitID')
    expect(page.text).toContain('MitID-appen')
    expect(page.text).toContain(`<option value="${gretheH!.id}">`)

    const merged = await agent.post(`/personale/deltagere/${grethe!.id}/slaa-sammen`).type('form').send({ _csrf: csrfOf(page.text), other_id: String(gretheH!.id), bekraeft: 'ja' })
    expect(merged.status).toBe(303)
    const after = await agent.get(`/personale/deltagere/${grethe!.id}?samlet=1`).expect(200)
    expect(after.text).toContain('Deltagerne er slået sammen.')
    expect(after.text).toContain('Digital Post')
    expect(await t.db.selectFrom('participants').select('id').where('id', '=', gretheH!.id).executeTakeFirst()).toBeUndefined()
    expect((await t.db.selectFrom('audit_log').select('detail').where('action', '=', 'participants_merged').executeTakeFirstOrThrow()).detail).toBe(`merged=${gretheH!.id}`)
    await t.app.close()
  })

  it('refuses to merge two people booked on the same class', async () => {
    const t = await buildTestApp()
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const a = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    await bookSeat(t.db, CITIZEN, a, input('Hans Hansen', '+4512345678'), { source: 'online' })
    await bookSeat(t.db, CITIZEN, a, input('Grethe Hansen', '+4512345678'), { source: 'online' })
    const [hans, grethe] = await t.db.selectFrom('participants').select('id').orderBy('id').execute()
    const page = await agent.get(`/personale/deltagere/${hans!.id}`)
    const res = await agent.post(`/personale/deltagere/${hans!.id}/slaa-sammen`).type('form').send({ _csrf: csrfOf(page.text), other_id: String(grethe!.id), bekraeft: 'ja' })
    expect(res.status).toBe(409)
    expect(res.text).toContain('Begge har en tilmelding til det samme hold.')
    await t.app.close()
  })
})
