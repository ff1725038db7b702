import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { CITIZEN } from '../../server/domain/actor.ts'
import { ZONE, copenhagenDate } from '../../server/domain/time.ts'
import { setNumberStopped } from '../../server/repositories/sms-repository.ts'
import { bookingInput, bookNew, createClass, createStaff } from '../helpers/factories.ts'
import { closeWhenTestEnds } from '../helpers/cleanup.ts'
import { FAKE_TOKEN, startFakeGateway } from '../helpers/fake-gateway.ts'
import { buildTestApp, csrfOf, signedInAgent, testConfig } from '../helpers/http.ts'
import type { Config } from '../../server/config.ts'
import type { Db } from '../../server/db/connection.ts'

const COURSE_TITLE = 'Kom godt i gang med MitID'

/** SMS settings for a test: no quiet hours, so the time of day the test runs at does not matter. */
const smsConfig = (sms: Partial<Config['sms']> = {}): Partial<Config> => ({ sms: { ...testConfig().sms, quietHours: null, ...sms } })

/**
 * A class with one booking of each kind: e-mail only; a yes to texts and a mobile; both;
 * neither (a mobile, but no yes to texts); a mobile that said STOP; a landline; and one
 * on the waiting list with e-mail only.
 */
async function classWithEveryKindOfBooking (db: Db) {
  const classId = await createClass(db, { capacity: 6 })
  const book = async (name: string, fields: { email?: string, phone?: string, consent?: boolean }) => {
    const { token } = await bookNew(db, CITIZEN, classId, bookingInput({ name, email: fields.email ?? null, phone: fields.phone ?? null }), { source: 'phone' })
    const { id } = await db.selectFrom('bookings').select('id').where('token', '=', token).executeTakeFirstOrThrow()
    if (fields.consent) await db.updateTable('bookings').set({ sms_consent: 1 }).where('id', '=', id).execute()
    return id
  }
  const ids = {
    emailOnly: await book('Anna E-mail', { email: 'anna@example.dk' }),
    smsOnly: await book('Bent Sms', { phone: '+4521000001', consent: true }),
    both: await book('Carla Begge', { email: 'carla@example.dk', phone: '+4521000002', consent: true }),
    neither: await book('Dorte Ingen', { phone: '+4521000003' }),
    stopped: await book('Erik Stop', { phone: '+4521000004', consent: true }),
    landline: await book('Frede Fastnet', { phone: '+4575000005', consent: true }),
    waiting: await book('Grete Venteliste', { email: 'grete@example.dk' })
  }
  await setNumberStopped(db, '4521000004', true, new Date().toISOString())
  const statuses = await db.selectFrom('bookings').select(['id', 'status']).where('class_id', '=', classId).execute()
  expect(statuses.find(b => b.id === ids.waiting)?.status).toBe('waitlisted')
  expect(statuses.filter(b => b.status === 'confirmed')).toHaveLength(6)
  return { classId, ids }
}

async function openForm (agent: Awaited<ReturnType<typeof signedInAgent>>, classId: number) {
  const page = await agent.get(`/personale/hold/${classId}/besked`).expect(200)
  const key = /name="noegle" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
  expect(key).toMatch(/^[A-Za-z0-9_-]{16,}$/)
  return { csrf: csrfOf(page.text), key, html: page.text }
}

describe('staff: a message to a whole class', () => {
  it('previews the text and counts who gets it by e-mail, by text and by phone, then sends it once', async () => {
    const t = await buildTestApp(smsConfig())
    const { classId, ids } = await classWithEveryKindOfBooking(t.db)
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))

    const classPage = await agent.get(`/personale/hold/${classId}`).expect(200)
    expect(classPage.text).toContain(`href="/personale/hold/${classId}/besked"`)
    expect(classPage.text).toContain('Skriv til holdet')
    const { csrf, key, html } = await openForm(agent, classId)
    expect(html).toContain('Du har 120 tegn tilbage.')

    // Seats only: A and C by e-mail, B and C by text; D (no yes to texts), E (STOP) and F (landline) are phoned.
    const seatsOnly = await agent.post(`/personale/hold/${classId}/besked`).type('form')
      .send({ _csrf: csrf, noegle: key, text: '  Lokalet er flyttet\r\ntil 2. sal ', hvem: 'plads' }).expect(200)
    expect(seatsOnly.text).toContain(`${COURSE_TITLE}: Lokalet er flyttet til 2. sal`)
    expect(seatsOnly.text).toContain(`Besked om ${COURSE_TITLE}`)
    const facts = (html: string) => Object.fromEntries([...html.matchAll(/<dt>([^<]+)<\/dt><dd>([^<]*)/g)].map(m => [m[1], m[2]]))
    expect(facts(seatsOnly.text)).toMatchObject({ Til: 'Kun dem med plads: 6 tilmeldinger', 'Som e-mail': '2 e-mails', 'Som sms': '2 sms (der er ingen sms-udbyder sat op, så de bliver kun gemt, ikke sendt)', 'Skal ringes op': '3 (har hverken e-mail eller sms; de kommer på ringelisten i dag)' })
    // Nothing is sent by the preview.
    expect(await t.db.selectFrom('outbox').select('id').where('kind', '=', 'class_message').execute()).toEqual([])

    // The waiting list too: G by e-mail.
    const everyone = await agent.post(`/personale/hold/${classId}/besked`).type('form')
      .send({ _csrf: csrf, noegle: key, text: 'Lokalet er flyttet til 2. sal', hvem: 'alle' }).expect(200)
    expect(facts(everyone.text)).toMatchObject({ Til: 'Dem med plads og dem på ventelisten: 7 tilmeldinger', 'Som e-mail': '3 e-mails' })
    expect(everyone.text).toContain(`name="noegle" value="${key}"`)
    expect(everyone.text).toContain('formaction')

    // "Ret beskeden" shows the form again with the text kept.
    const back = await agent.post(`/personale/hold/${classId}/besked`).type('form')
      .send({ _csrf: csrf, noegle: key, text: 'Lokalet er flyttet til 2. sal', hvem: 'alle', ret: '1' }).expect(200)
    expect(back.text).toContain('>Lokalet er flyttet til 2. sal</textarea>')
    expect(back.text).toContain('Du har 91 tegn tilbage.')

    const send = { _csrf: csrfOf(everyone.text), noegle: key, text: 'Lokalet er flyttet til 2. sal', hvem: 'alle' }
    const sent = await agent.post(`/personale/hold/${classId}/besked/send`).type('form').send(send).expect(303)
    expect(sent.headers.location).toBe(`/personale/hold/${classId}?besked=3-2-3`)
    expect((await agent.get(String(sent.headers.location))).text).toContain('Beskeden er sendt: 3 e-mails, 2 sms, 3 skal ringes op.')

    const messages = await t.db.selectFrom('outbox').select(['channel', 'recipient', 'booking_id', 'payload_json']).where('kind', '=', 'class_message').orderBy('recipient').execute()
    expect(messages.map(m => [m.channel, m.recipient])).toEqual([
      ['sms', '4521000001'], ['sms', '4521000002'], ['email', 'anna@example.dk'], ['email', 'carla@example.dk'], ['email', 'grete@example.dk']
    ])
    expect(JSON.parse(messages[0]!.payload_json)).toMatchObject({ text: 'Lokalet er flyttet til 2. sal', from: 'Test leader' })
    const tasks = await t.db.selectFrom('call_tasks').selectAll().orderBy('booking_id').execute()
    expect(tasks.map(task => [task.booking_id, task.reason, task.text, task.day])).toEqual(
      [ids.neither, ids.stopped, ids.landline].map(id => [id, 'class_message', 'Lokalet er flyttet til 2. sal', copenhagenDate(new Date())]))
    const audit = await t.db.selectFrom('audit_log').select(['action', 'subject_type', 'subject_id', 'detail']).where('action', '=', 'class_message_sent').execute()
    expect(audit).toEqual([{ action: 'class_message_sent', subject_type: 'class', subject_id: classId, detail: 'emails=3 sms=2 calls=3 waitlist=yes' }])

    // A second click on the same form sends nothing more, and says so.
    const again = await agent.post(`/personale/hold/${classId}/besked/send`).type('form').send(send).expect(303)
    expect(again.headers.location).toBe(`/personale/hold/${classId}?besked=3-2-3-igen`)
    expect((await agent.get(String(again.headers.location))).text).toContain('Beskeden var allerede sendt')
    expect(await t.db.selectFrom('outbox').select('id').where('kind', '=', 'class_message').execute()).toHaveLength(5)
    expect(await t.db.selectFrom('call_tasks').select('id').execute()).toHaveLength(3)
    expect(await t.db.selectFrom('audit_log').select('id').where('action', '=', 'class_message_sent').execute()).toHaveLength(1)

    // A new message (a fresh form) is sent again.
    const fresh = await openForm(agent, classId)
    expect(fresh.key).not.toBe(key)
    await agent.post(`/personale/hold/${classId}/besked/send`).type('form').send({ ...send, _csrf: fresh.csrf, noegle: fresh.key, hvem: 'plads' }).expect(303)
    expect(await t.db.selectFrom('outbox').select('id').where('kind', '=', 'class_message').execute()).toHaveLength(9)
  })

  it('refuses an empty or too long message next to the field, with the text kept; volunteers get 403', async () => {
    const t = await buildTestApp(smsConfig())
    const { classId } = await classWithEveryKindOfBooking(t.db)
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const { csrf, key } = await openForm(agent, classId)

    const empty = await agent.post(`/personale/hold/${classId}/besked`).type('form').send({ _csrf: csrf, noegle: key, text: '   ', hvem: 'alle' }).expect(400)
    expect(empty.text).toContain('id="f-text-error"><span class="sr-only">Fejl: </span>Skriv beskeden.</span>')
    expect(empty.text).toContain('aria-invalid="true"')

    // 118 characters, but the three euro signs count two each in a text: 121.
    const long = `${'x'.repeat(111)} <b>€€€`
    const tooLong = await agent.post(`/personale/hold/${classId}/besked/send`).type('form').send({ _csrf: csrf, noegle: key, text: long, hvem: 'alle' }).expect(400)
    expect(tooLong.text).toContain('Beskeden må højst være 120 tegn, så den kan stå i én sms. Den er 121 tegn. Gør den 1 tegn kortere.')
    expect(tooLong.text).toContain(`>${'x'.repeat(111)} &lt;b&gt;€€€</textarea>`)
    expect(tooLong.text).toContain('Beskeden er 1 tegn for lang.')

    const noChoice = await agent.post(`/personale/hold/${classId}/besked`).type('form').send({ _csrf: csrf, noegle: key, text: 'Hej', hvem: 'nogen' }).expect(400)
    expect(noChoice.text).toContain('Vælg, hvem beskeden skal sendes til.')

    const stale = await agent.post(`/personale/hold/${classId}/besked/send`).type('form').send({ noegle: key, text: 'Hej', hvem: 'alle' }).expect(403)
    expect(stale.text).toContain('>Hej</textarea>')
    expect(await t.db.selectFrom('outbox').select('id').where('kind', '=', 'class_message').execute()).toEqual([])

    const volunteer = await signedInAgent(t.app, await createStaff(t.db, 'volunteer'))
    await volunteer.get(`/personale/hold/${classId}/besked`).expect(403)
    await volunteer.post(`/personale/hold/${classId}/besked/send`).type('form').send({ text: 'Hej', hvem: 'alle', noegle: key }).expect(403)
    await agent.get('/personale/hold/999999/besked').expect(404)
  })
})

describe('staff: texts in "Sendte beskeder"', () => {
  it('lists a text with its number, its words (a preview until sent) and its delivery report, filtered by channel', async () => {
    const t = await buildTestApp(smsConfig())
    const { classId } = await classWithEveryKindOfBooking(t.db)
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const { csrf, key } = await openForm(agent, classId)
    await agent.post(`/personale/hold/${classId}/besked/send`).type('form').send({ _csrf: csrf, noegle: key, text: 'Lokalet er flyttet til 2. sal', hvem: 'plads' }).expect(303)

    const before = await agent.get('/personale/beskeder?kanal=sms').expect(200)
    expect(before.text).toContain('Sendte beskeder')
    expect(before.text).toContain('21 00 00 01')
    expect(before.text).toContain(`${COURSE_TITLE}: Lokalet er flyttet til 2. sal</a> <span class="weight-normal">(forhåndsvisning)</span>`)
    expect(before.text).toContain('Der er ingen sms-udbyder sat op')
    expect(before.text).not.toContain('anna@example.dk')

    // Without an SMS provider texts are kept, with their words, for staff to read.
    await t.app.mail.worker.runOnce()
    const text = await t.db.selectFrom('outbox').selectAll().where('channel', '=', 'sms').where('recipient', '=', '4521000001').executeTakeFirstOrThrow()
    expect(text.status).toBe('kept')
    expect(text.subject).toBe(`${COURSE_TITLE}: Lokalet er flyttet til 2. sal`)
    await t.db.updateTable('outbox').set({ status: 'sent', sent_at: new Date().toISOString(), delivery_status: 'undeliverable', delivery_at: '2030-01-02T09:30:00.000Z', delivery_error: 'Nummeret findes ikke' }).where('id', '=', text.id).execute()

    const after = await agent.get('/personale/beskeder?kanal=sms').expect(200)
    expect(after.text).not.toContain('(forhåndsvisning)')
    expect(after.text).toContain('Kunne ikke leveres, onsdag 2. januar 2030 kl. 10.30')
    expect(after.text).toContain('Nummeret findes ikke')
    expect(after.text).toContain('Ikke sendt (ingen sms-udbyder)')
    const all = await agent.get('/personale/beskeder').expect(200)
    expect(all.text).toContain('anna@example.dk')
    expect(all.text).toContain('<td>Sms</td>')
    expect(all.text).toContain('<td>E-mail</td>')
    const emails = await agent.get('/personale/beskeder?kanal=e-mail').expect(200)
    expect(emails.text).not.toContain('21 00 00 01')

    const detail = await agent.get(`/personale/beskeder/${text.id}`).expect(200)
    expect(detail.text).toContain('Sms til 21 00 00 01')
    expect(detail.text).toContain('Teksten, som den blev sendt')
    expect(detail.text).toContain(`<blockquote class="sms-text"><p>${COURSE_TITLE}: Lokalet er flyttet til 2. sal</p></blockquote>`)
    expect(detail.text).toContain('Kunne ikke leveres')
    expect(detail.text).not.toContain('iframe')
    await agent.get(`/personale/beskeder/${text.id}/html`).expect(404)
  })

  it('resends a failed text through the provider, with an audit line; never to a number that said STOP', async () => {
    const gateway = await startFakeGateway()
    closeWhenTestEnds(gateway.close)
    const t = await buildTestApp(smsConfig({ provider: 'gatewayapi', apiUrl: gateway.url, apiToken: FAKE_TOKEN }))
    const { classId } = await classWithEveryKindOfBooking(t.db)
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const { csrf, key } = await openForm(agent, classId)
    await agent.post(`/personale/hold/${classId}/besked/send`).type('form').send({ _csrf: csrf, noegle: key, text: 'Vi mødes i caféen', hvem: 'plads' }).expect(303)

    // The provider refuses for good (401): the texts fail with its words.
    gateway.defaultAnswer = 401
    await t.app.mail.worker.runOnce()
    const texts = await t.db.selectFrom('outbox').selectAll().where('channel', '=', 'sms').orderBy('recipient').execute()
    expect(texts.map(r => r.status)).toEqual(['failed', 'failed'])
    const [first, second] = texts as [typeof texts[number], typeof texts[number]]

    const detail = await agent.get(`/personale/beskeder/${first.id}`).expect(200)
    expect(detail.text).toContain('Fejlet')
    expect(detail.text).toContain(String(first.last_error))
    expect(detail.text).toContain('Send igen')
    await agent.post(`/personale/beskeder/${first.id}/send-igen`).type('form').send({}).expect(403)
    const resent = await agent.post(`/personale/beskeder/${first.id}/send-igen`).type('form').send({ _csrf: csrfOf(detail.text) }).expect(303)
    expect(resent.headers.location).toBe(`/personale/beskeder/${first.id}?sendt=1`)
    expect((await agent.get(String(resent.headers.location))).text).toContain('Sms&#39;en er sat i kø')
    expect(await t.db.selectFrom('outbox').select(['status', 'attempts', 'last_error']).where('id', '=', first.id).executeTakeFirstOrThrow()).toEqual({ status: 'queued', attempts: 0, last_error: null })
    expect(await t.db.selectFrom('audit_log').select(['action', 'subject_id', 'detail']).where('action', '=', 'sms_resent').execute())
      .toEqual([{ action: 'sms_resent', subject_id: first.id, detail: 'was=failed' }])

    gateway.defaultAnswer = 200
    await t.app.mail.worker.runOnce()
    expect(gateway.sent.map(s => [s.msisdn, s.message])).toEqual([['4521000001', `${COURSE_TITLE}: Vi mødes i caféen`]])
    expect((await t.db.selectFrom('outbox').select('status').where('id', '=', first.id).executeTakeFirstOrThrow()).status).toBe('sent')

    // The other number says STOP: its failed text is not sent again.
    await setNumberStopped(t.db, second.recipient, true, new Date().toISOString())
    const page = await agent.get(`/personale/beskeder/${second.id}`).expect(200)
    const refused = await agent.post(`/personale/beskeder/${second.id}/send-igen`).type('form').send({ _csrf: csrfOf(page.text) }).expect(409)
    expect(refused.text).toContain('Nummeret har svaret STOP')
    expect((await t.db.selectFrom('outbox').select('status').where('id', '=', second.id).executeTakeFirstOrThrow()).status).toBe('failed')
    // The old address of the resend still works.
    await agent.post(`/personale/e-mails/${second.id}/send-igen`).type('form').send({ _csrf: csrfOf(page.text) }).expect(409)
  })
})

describe('staff: the month\'s texts on the overview', () => {
  it('shows the texts sent this month against the budget, the ones waiting, and a warning when it is used', async () => {
    const t = await buildTestApp(smsConfig({ monthlyLimit: 2 }))
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const month = DateTime.now().setZone(ZONE).setLocale('da').toFormat('LLLL')
    const now = new Date().toISOString()
    const text = (status: 'sent' | 'queued', n: number) => ({ kind: 'reminder', channel: 'sms' as const, recipient: `452100000${n}`, subject: 'Husk', payload_json: '{}', dedupe_key: `test-${n}`, booking_id: null, class_id: null, status, not_before: now, expires_at: null, claimed_by: null, claimed_until: null, created_at: now, sent_at: status === 'sent' ? now : null, message_id: null, last_error: null })
    await t.db.insertInto('outbox').values([text('sent', 1), text('queued', 2)]).execute()

    const under = await agent.get('/personale').expect(200)
    expect(under.text).toContain(`Sms i ${month}: 1 af 2. 1 venter på at blive sendt.`)
    expect(under.text).not.toContain('Månedens sms-budget er brugt')
    expect(under.text).toContain("Sms'er bliver ikke sendt, kun gemt")

    await t.db.insertInto('outbox').values(text('sent', 3)).execute()
    const reached = await agent.get('/personale').expect(200)
    expect(reached.text).toContain(`Sms i ${month}: 2 af 2.`)
    expect(reached.text).toContain('<div class="alert alert-warning"><div class="alert-body"><p class="alert-text">Månedens sms-budget er brugt. Nye sms\'er venter til næste måned eller til budgettet hæves (SMS_MONTHLY_LIMIT).</p></div></div>')

    // A volunteer's overview has no budget.
    const volunteer = await signedInAgent(t.app, await createStaff(t.db, 'volunteer'))
    expect((await volunteer.get('/personale').expect(200)).text).not.toContain('Sms i ')
  })

  it('says nothing of a limit when there is none, and drops the note once a provider is set', async () => {
    const gateway = await startFakeGateway()
    closeWhenTestEnds(gateway.close)
    const t = await buildTestApp(smsConfig({ monthlyLimit: 0, provider: 'gatewayapi', apiUrl: gateway.url, apiToken: FAKE_TOKEN }))
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const page = await agent.get('/personale').expect(200)
    expect(page.text).toMatch(/Sms i [a-z]+: 0 \(ingen grænse\)\./)
    expect(page.text).not.toContain('kun gemt')
  })
})

describe('staff: call tasks on the call list', () => {
  it('shows a message to read aloud and a text that did not arrive, and ticks "Ringet"', async () => {
    const t = await buildTestApp(smsConfig())
    const { classId, ids } = await classWithEveryKindOfBooking(t.db)
    const agent = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
    const { csrf, key } = await openForm(agent, classId)
    await agent.post(`/personale/hold/${classId}/besked/send`).type('form').send({ _csrf: csrf, noegle: key, text: 'Husk briller', hvem: 'plads' }).expect(303)
    const today = copenhagenDate(new Date())
    await t.db.insertInto('call_tasks').values({ booking_id: ids.smsOnly, day: today, reason: 'undeliverable', text: null, dedupe_key: 'undeliverable-test', created_at: new Date().toISOString(), called_at: null, called_by: null }).execute()

    const page = await agent.get('/personale/ringeliste').expect(200)
    expect(page.text).toContain("Sms'er, der ikke kom frem, og beskeder til holdet")
    expect(page.text).toContain('0 af 4 er ringet op')
    expect(page.text).toContain('Besked til holdet</strong><br>Læs op: »Husk briller«')
    expect(page.text).toContain('Dorte Ingen')
    expect(page.text).toContain('Sms&#39;en kom ikke frem')
    expect(page.text).toContain('21 00 00 01')
    expect(page.text).toContain('75 00 00 05')

    const task = await t.db.selectFrom('call_tasks').select(['id', 'booking_id']).where('booking_id', '=', ids.neither).executeTakeFirstOrThrow()
    await agent.post('/personale/ringeliste/opgave').type('form').send({ dag: today, task_id: String(task.id), ringet: '1' }).expect(403)
    const tick = await agent.post('/personale/ringeliste/opgave').type('form').send({ _csrf: csrfOf(page.text), dag: today, task_id: String(task.id), ringet: '1' }).expect(303)
    expect(tick.headers.location).toBe(`/personale/ringeliste?dag=${today}#t-${task.id}`)
    const after = await agent.get(`/personale/ringeliste?dag=${today}`)
    expect(after.text).toContain('1 af 4 er ringet op')
    expect(after.text).toContain('✓ Ringet af Test leader')
    expect(await t.db.selectFrom('audit_log').select(['action', 'subject_id', 'detail']).where('action', 'like', 'call_task%').execute())
      .toEqual([{ action: 'call_task_called', subject_id: ids.neither, detail: `task=${task.id} reason=class_message` }])
    await agent.post('/personale/ringeliste/opgave').type('form').send({ _csrf: csrfOf(after.text), dag: today, task_id: String(task.id), ringet: '0' }).expect(303)
    expect((await agent.get(`/personale/ringeliste?dag=${today}`)).text).toContain('0 af 4 er ringet op')
    await agent.post('/personale/ringeliste/opgave').type('form').send({ _csrf: csrfOf(after.text), dag: today, task_id: '999999', ringet: '1' }).expect(404)

    // Another day's list does not have them.
    const tomorrow = DateTime.fromISO(today, { zone: ZONE }).plus({ days: 1 }).toISODate()
    expect((await agent.get(`/personale/ringeliste?dag=${tomorrow}`)).text).not.toContain('Husk briller')
  })
})
