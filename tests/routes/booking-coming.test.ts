import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CITIZEN } from '../../server/domain/actor.ts'
import { askComing } from '../../server/services/coming-service.ts'
import { bookingInput, bookNew, createClass, createStaff } from '../helpers/factories.ts'
import { buildTestApp, cookieOf, csrfOf, signedInAgent, type TestApp } from '../helpers/http.ts'

/**
 * "Kommer du?" on the citizen's booking page: the two answers as forms (CSRF, the token in
 * the address the only key), what the page says afterwards, and the answers on the staff
 * class page.
 */

const ASK = new Date('2030-03-02T09:00:00Z')

describe('"Kommer du?" on the booking page', () => {
  let t: TestApp
  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t.app.close() })

  async function askedClass (people: number, capacity = 5) {
    const classId = await createClass(t.db, { capacity, meetings: ['2030-03-05T10:00'] })
    await t.db.updateTable('classes').set({ confirm_mode: 'always' }).where('id', '=', classId).execute()
    const tokens: string[] = []
    for (let i = 1; i <= people; i++) {
      tokens.push((await bookNew(t.db, CITIZEN, classId, bookingInput({ name: `Deltager ${classId}-${i}`, email: `d${classId}-${i}@example.dk` }), { source: 'online', now: new Date('2030-02-01T10:00:00Z') })).token)
    }
    await askComing(t.db, ASK)
    return { classId, tokens }
  }
  const bookingOf = async (token: string) => await t.db.selectFrom('bookings').select(['status', 'coming']).where('token', '=', token).executeTakeFirstOrThrow()

  async function openPage (token: string) {
    const page = await request(t.app.server).get(`/tilmelding/${token}`).expect(200)
    return { page, cookie: cookieOf(page.headers['set-cookie']), csrf: csrfOf(page.text) }
  }

  it('shows the question only when asked, and records JA', async () => {
    const { tokens } = await askedClass(1)
    const unasked = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    const other = await bookNew(t.db, CITIZEN, unasked, bookingInput({ name: 'Ikke Spurgt', email: 'ikke@example.dk' }), { source: 'online' })
    expect((await openPage(other.token)).page.text).not.toContain('Kommer du?')

    const token = tokens[0] as string
    const form = await openPage(token)
    expect(form.page.text).toContain('<h2 id="kommer-titel">Kommer du?</h2>')
    expect(form.page.text).toContain('Ja, jeg kommer')
    expect(form.page.text).toContain('Svarer du nej, bliver du afmeldt, og pladsen går videre til en anden.')

    const yes = await request(t.app.server).post(`/tilmelding/${token}/kommer`).set('cookie', form.cookie).type('form').send({ _csrf: form.csrf, svar: 'ja' }).expect(303)
    expect(yes.headers.location).toBe(`/tilmelding/${token}?kommer=yes#kommer`)
    expect(await bookingOf(token)).toEqual({ status: 'confirmed', coming: 'yes' })
    const after = await request(t.app.server).get(yes.headers.location as string).expect(200)
    expect(after.text).toContain('Tak. Vi har skrevet ned, at du kommer.')
    expect(after.text).not.toContain('kommer-titel')
    expect((await request(t.app.server).get(`/tilmelding/${token}`).expect(200)).text).toContain('Du har svaret, at du kommer.')
  })

  it('refuses a stale form and changes nothing; an answer that is neither changes nothing', async () => {
    const { tokens } = await askedClass(1)
    const token = tokens[0] as string
    const form = await openPage(token)
    const stale = await request(t.app.server).post(`/tilmelding/${token}/kommer`).set('cookie', form.cookie).type('form').send({ _csrf: 'forkert', svar: 'nej' })
    expect(stale.status).toBe(403)
    expect(stale.text).toContain('Kommer du?')
    await request(t.app.server).post(`/tilmelding/${token}/kommer`).set('cookie', form.cookie).type('form').send({ _csrf: form.csrf, svar: 'måske' }).expect(303)
    expect(await bookingOf(token)).toEqual({ status: 'confirmed', coming: null })
  })

  it('NEJ cancels only the booking of the link, whatever the form says, and the page says so', async () => {
    const { classId, tokens } = await askedClass(2)
    const [mine, theirs] = tokens as [string, string]
    const form = await openPage(mine)
    // Another booking's token in the form is ignored; an invented link is not found.
    const no = await request(t.app.server).post(`/tilmelding/${mine}/kommer`).set('cookie', form.cookie).type('form').send({ _csrf: form.csrf, svar: 'nej', token: theirs }).expect(303)
    expect(await bookingOf(mine)).toEqual({ status: 'cancelled', coming: 'no' })
    expect(await bookingOf(theirs)).toEqual({ status: 'confirmed', coming: null })
    await request(t.app.server).post(`/tilmelding/${'x'.repeat(43)}/kommer`).set('cookie', form.cookie).type('form').send({ _csrf: form.csrf, svar: 'nej' }).expect(404)
    const after = await request(t.app.server).get(no.headers.location as string).expect(200)
    expect(after.text).toContain('Du er afmeldt, og pladsen går videre til en anden.')
    // A second NEJ: already cancelled, nothing changes.
    const again = await request(t.app.server).post(`/tilmelding/${mine}/kommer`).set('cookie', form.cookie).type('form').send({ _csrf: form.csrf, svar: 'nej' }).expect(303)
    expect(again.headers.location).toBe(`/tilmelding/${mine}?kommer=already_cancelled#kommer`)

    // The staff class page shows who said what.
    const leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const page = await leader.get(`/personale/hold/${classId}`).expect(200)
    expect(page.text).toContain('«Kommer du?»: 0 har sagt ja, 1 har ikke svaret, 1 har sagt nej og er afmeldt.')
    expect(page.text).toContain('Plads, ikke svaret')
  })
})
