import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { bookSeat } from '../../server/services/booking-service.ts'
import { setClassPublic } from '../../server/services/class-service.ts'
import { bookingInput, createClass, createStaff, asStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, signedInAgent } from '../helpers/http.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

const COURSE = 'mitid-kom-godt-i-gang'

async function openCourse (app: Parameters<typeof request>[0]) {
  const page = await request(app).get(`/kurser/${COURSE}`).expect(200)
  const cookie = (page.headers['set-cookie'] as unknown as string[]).map(c => c.split(';')[0]).join('; ')
  return { cookie, csrf: csrfOf(page.text), html: page.text }
}

describe('interest list', () => {
  it('takes an e-mail on the course page, sends a confirmation, once confirmed one e-mail per new class, and stops after one click', async () => {
    const t = await buildTestApp()
    const { cookie, csrf, html } = await openCourse(t.app.server)
    expect(html).toContain('Få besked om nye hold')

    const bad = await request(t.app.server).post(`/kurser/${COURSE}/besked`).set('cookie', cookie).type('form').send({ _csrf: csrf, email: 'grethe@' }).expect(400)
    expect(bad.text).toContain('E-mailadressen ser forkert ud')
    expect(bad.text).toContain('value="grethe@"')
    expect(bad.text).toContain('aria-invalid="true"')
    const stale = await request(t.app.server).post(`/kurser/${COURSE}/besked`).type('form').send({ email: 'grethe@example.dk' }).expect(403)
    expect(stale.text).toContain('value="grethe@example.dk"')

    const ok = await request(t.app.server).post(`/kurser/${COURSE}/besked`).set('cookie', cookie).type('form').send({ _csrf: csrf, email: ' Grethe@Example.dk ' }).expect(303)
    expect(ok.headers.location).toBe(`/kurser/${COURSE}?besked=ja#besked-om-hold`)
    expect((await request(t.app.server).get(String(ok.headers.location))).text).toContain('Vi har sendt dig en e-mail. Tryk på linket i den for at få besked.')
    const again = await request(t.app.server).post(`/kurser/${COURSE}/besked`).set('cookie', cookie).type('form').send({ _csrf: csrf, email: 'grethe@example.dk' }).expect(303)
    // The same answer as the first time: the page does not reveal who is on the list.
    expect(again.headers.location).toBe(ok.headers.location)

    const confirmations = await t.db.selectFrom('outbox').selectAll().where('kind', '=', 'interest_confirm').execute()
    expect(confirmations.map(r => r.recipient)).toEqual(['grethe@example.dk'])
    const confirmToken = (JSON.parse(confirmations[0]!.payload_json) as { confirmToken: string }).confirmToken
    const confirmPage = await request(t.app.server).get(`/interesse/bekraeft/${confirmToken}`).expect(200)
    const confirmCookie = (confirmPage.headers['set-cookie'] as unknown as string[]).map(c => c.split(';')[0]).join('; ')
    await request(t.app.server).post(`/interesse/bekraeft/${confirmToken}`).set('cookie', confirmCookie).type('form').send({ _csrf: csrfOf(confirmPage.text) }).expect(200)
    const token = (await t.db.selectFrom('interest_subscriptions').select('token').executeTakeFirstOrThrow()).token

    // A class made internal first and published later: one e-mail, when it is published.
    const hidden = await createClass(t.db, { course: COURSE, isPublic: false, meetings: ['2030-05-06T10:00'] })
    const leader = await createStaff(t.db, 'leader')
    const staffId = (await t.db.selectFrom('staff_users').select('id').where('email', '=', leader.email).executeTakeFirstOrThrow()).id
    await setClassPublic(t.db, asStaff(staffId), hidden, true)
    await setClassPublic(t.db, asStaff(staffId), hidden, false)
    await setClassPublic(t.db, asStaff(staffId), hidden, true)
    // Another course's class does not concern her.
    const other = await createClass(t.db, { course: 'mitid-appen', isPublic: false, meetings: ['2030-05-07T10:00'] })
    await setClassPublic(t.db, asStaff(staffId), other, true)
    const notices = await t.db.selectFrom('outbox').selectAll().where('kind', '=', 'interest_new_classes').execute()
    expect(notices).toHaveLength(1)
    expect(notices[0]?.subject).toBe('Nyt hold: Kom godt i gang med MitID, mandag 6. maj 2030 kl. 10.00')

    // The link in the e-mail shows a page with one button; a GET alone changes nothing.
    const page = await request(t.app.server).get(`/interesse/afmeld/${token}`).expect(200)
    expect(page.text).toContain('Ja, afmeld mig')
    expect(page.headers['x-robots-tag']).toBe('noindex')
    const pageCookie = (page.headers['set-cookie'] as unknown as string[]).map(c => c.split(';')[0]).join('; ')
    await request(t.app.server).post(`/interesse/afmeld/${token}`).set('cookie', pageCookie).type('form').send({ _csrf: csrfOf(page.text) }).expect(200)
    const sub = await t.db.selectFrom('interest_subscriptions').selectAll().executeTakeFirstOrThrow()
    expect(sub.unsubscribed_at).not.toBeNull()
    expect((await request(t.app.server).get(`/interesse/afmeld/${token}`)).text).toContain('Du er allerede afmeldt')

    // No more e-mails after unsubscribing.
    const later = await createClass(t.db, { course: COURSE, isPublic: false, meetings: ['2030-06-03T10:00'] })
    await setClassPublic(t.db, asStaff(staffId), later, true)
    expect(await t.db.selectFrom('outbox').select('id').where('kind', '=', 'interest_new_classes').execute()).toHaveLength(1)
    await request(t.app.server).get('/interesse/afmeld/ikke-et-rigtigt-token-1234').expect(404)
  })

  it('accepts a mail program\'s one-click unsubscribe (RFC 8058) without a form', async () => {
    const t = await buildTestApp()
    const { cookie, csrf } = await openCourse(t.app.server)
    await request(t.app.server).post(`/kurser/${COURSE}/besked`).set('cookie', cookie).type('form').send({ _csrf: csrf, email: 'a@example.dk' }).expect(303)
    const sub = await t.db.selectFrom('interest_subscriptions').selectAll().executeTakeFirstOrThrow()
    await request(t.app.server).post(`/interesse/afmeld/${sub.token}`).type('form').send('List-Unsubscribe=One-Click').expect(200)
    expect((await t.db.selectFrom('interest_subscriptions').selectAll().executeTakeFirstOrThrow()).unsubscribed_at).not.toBeNull()
  })
  it('accepts the one-click unsubscribe as multipart/form-data, the encoding of RFC 8058\'s own example', async () => {
    const t = await buildTestApp()
    const { cookie, csrf } = await openCourse(t.app.server)
    await request(t.app.server).post(`/kurser/${COURSE}/besked`).set('cookie', cookie).type('form').send({ _csrf: csrf, email: 'a@example.dk' }).expect(303)
    const sub = await t.db.selectFrom('interest_subscriptions').selectAll().executeTakeFirstOrThrow()
    // supertest's .field() builds a real multipart body with a boundary (form-data).
    await request(t.app.server).post(`/interesse/afmeld/${sub.token}`).field('List-Unsubscribe', 'One-Click').expect(200)
    expect((await t.db.selectFrom('interest_subscriptions').selectAll().executeTakeFirstOrThrow()).unsubscribed_at).not.toBeNull()

    // The same through undici's FormData, as a mail provider's HTTP client would send it.
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
    const form = new FormData()
    form.set('List-Unsubscribe', 'One-Click')
    const res = await fetch(`${address}/interesse/afmeld/${sub.token}`, { method: 'POST', body: form })
    expect(res.headers.get('content-type')).toContain('text/html')
    expect(res.status).toBe(200)

    // Only this route reads multipart, and only a small body of it.
    await request(t.app.server).post(`/kurser/${COURSE}/besked`).field('email', 'b@example.dk').expect(415)
    await request(t.app.server).post(`/interesse/afmeld/${sub.token}`).field('List-Unsubscribe', 'x'.repeat(20_000)).expect(413)
    await t.app.close()
  })
})

describe('staff: sent messages and the call list', () => {
  it('lists e-mails with status, shows one as it looks in a sandboxed frame, and resends a failed one', async () => {
    const t = await buildTestApp()
    const classId = await createClass(t.db, { meetings: ['2030-03-05T10:00'] })
    await bookSeat(t.db, CITIZEN, classId, bookingInput({ name: 'Grethe <b>Hansen</b>', email: 'grethe@example.dk' }), { source: 'online' })
    await t.app.mail.worker.runOnce()
    await t.db.updateTable('outbox').set({ status: 'failed', last_error: '550 no such user' }).execute()

    await (await signedInAgent(t.app, await createStaff(t.db, 'volunteer'))).get('/personale/beskeder').expect(403)
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const list = await agent.get('/personale/beskeder').expect(200)
    expect(list.text).toContain('Der er ingen mailserver sat op')
    expect(list.text).toContain('grethe@example.dk')
    expect(list.text).toContain('Fejlet')
    const row = await t.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow()

    const detail = await agent.get(`/personale/beskeder/${row.id}`).expect(200)
    expect(detail.text).toContain('550 no such user')
    expect(detail.text).toContain('kursus.ics')
    expect(detail.text).toContain('Hej Grethe &lt;b&gt;Hansen&lt;/b&gt;')
    expect(detail.text).toContain(`src="/personale/beskeder/${row.id}/html"`)
    const html = await agent.get(`/personale/beskeder/${row.id}/html`).expect(200)
    expect(html.headers['content-security-policy']).toContain('sandbox')
    expect(html.text).toContain('Hej Grethe &lt;b&gt;Hansen&lt;/b&gt;')
    expect(html.text).not.toContain('<b>Hansen</b>')

    await agent.post(`/personale/beskeder/${row.id}/send-igen`).type('form').send({}).expect(403)
    await agent.post(`/personale/beskeder/${row.id}/send-igen`).type('form').send({ _csrf: csrfOf(detail.text) }).expect(303)
    expect((await t.db.selectFrom('outbox').select(['status', 'attempts']).executeTakeFirstOrThrow())).toEqual({ status: 'queued', attempts: 0 })
    const audit = await t.db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'email_resent').execute()
    expect(audit).toEqual([{ action: 'email_resent', detail: 'was=failed' }])
    await agent.get('/personale/beskeder/999999').expect(404)
    // The page was "Sendte e-mails" at /personale/e-mails: old links still lead there.
    expect(list.text).toContain('<h1>Sendte beskeder</h1>')
    expect((await agent.get('/personale/e-mails?status=failed').expect(301)).headers.location).toBe('/personale/beskeder?status=failed')
    expect((await agent.get(`/personale/e-mails/${row.id}`).expect(301)).headers.location).toBe(`/personale/beskeder/${row.id}`)
  })

  it('shows invitation e-mails, whose link sets a password, to admins only', async () => {
    const t = await buildTestApp()
    const admin = await createStaff(t.db, 'admin')
    const adminAgent = await signedInAgent(t.app, admin)
    const users = await adminAgent.get('/personale/brugere')
    await adminAgent.post('/personale/brugere').type('form').send({ _csrf: csrfOf(users.text), name: 'Anders Admin', email: 'anders@bib.dk', role: 'admin' }).expect(201)
    const invitation = await t.db.selectFrom('outbox').select('id').where('kind', '=', 'staff_invitation').executeTakeFirstOrThrow()
    await adminAgent.get(`/personale/beskeder/${invitation.id}`).expect(200)
    const leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    await leader.get(`/personale/beskeder/${invitation.id}`).expect(404)
    await leader.get(`/personale/beskeder/${invitation.id}/html`).expect(404)
    await t.db.updateTable('outbox').set({ status: 'failed' }).where('id', '=', invitation.id).execute()
    const profile = await leader.get('/personale/profil').expect(200)
    await leader.post(`/personale/beskeder/${invitation.id}/send-igen`).type('form').send({ _csrf: csrfOf(profile.text) }).expect(404)
    expect((await t.db.selectFrom('outbox').select('status').where('id', '=', invitation.id).executeTakeFirstOrThrow()).status).toBe('failed')
  })

  it('shows the call list for a day with phone numbers and needs, and ticks "called"', async () => {
    const t = await buildTestApp()
    const classId = await createClass(t.db, { meetings: ['2030-04-01T10:00'] })
    await bookSeat(t.db, CITIZEN, classId, bookingInput({ name: 'Poul Phone', phone: '+4512345678', needsHearingLoop: true }), { source: 'phone', now: new Date('2030-03-01T10:00:00Z') })
    await bookSeat(t.db, CITIZEN, classId, bookingInput({ name: 'Erna Email', email: 'erna@example.dk' }), { source: 'online', now: new Date('2030-03-01T10:00:00Z') })
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))

    const page = await agent.get('/personale/ringeliste?dag=2030-03-30').expect(200)
    expect(page.text).toContain('Poul Phone')
    expect(page.text).toContain('12 34 56 78')
    expect(page.text).toContain('Teleslynge')
    expect(page.text).not.toContain('Erna Email')
    expect(page.text).toContain('0 af 1 er ringet op')
    expect((await agent.get('/personale/ringeliste?dag=2030-03-31')).text).toContain('Der er ingen at ringe til')
    expect((await agent.get('/personale/ringeliste?dag=ikke-en-dato')).text).toContain('Datoen kunne ikke læses')

    const booking = await t.db.selectFrom('bookings').select('id').orderBy('id').executeTakeFirstOrThrow()
    const meeting = await t.db.selectFrom('meetings').select('id').executeTakeFirstOrThrow()
    const tick = await agent.post('/personale/ringeliste/ringet').type('form')
      .send({ _csrf: csrfOf(page.text), dag: '2030-03-30', booking_id: String(booking.id), meeting_id: String(meeting.id), ringet: '1' }).expect(303)
    expect(tick.headers.location).toBe(`/personale/ringeliste?dag=2030-03-30#r-${booking.id}-${meeting.id}`)
    const after = await agent.get('/personale/ringeliste?dag=2030-03-30')
    expect(after.text).toContain('1 af 1 er ringet op')
    expect(after.text).toContain('✓ Ringet af Test leader')
    // Moving the meeting to another time: the call was about the old time, so the tick goes.
    await t.db.transaction().execute(async tx => {
      const { replaceMeetings } = await import('../../server/repositories/class-repository.ts')
      await replaceMeetings(tx, classId, [{ startsAt: '2030-04-01T09:00:00.000Z', endsAt: '2030-04-01T11:00:00.000Z' }])
    })
    expect((await agent.get('/personale/ringeliste?dag=2030-03-30')).text).toContain('0 af 1 er ringet op')
    await (await signedInAgent(t.app, await createStaff(t.db, 'volunteer'))).get('/personale/ringeliste').expect(403)
  })
})
