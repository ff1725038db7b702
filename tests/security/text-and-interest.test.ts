import { API_SCOPES } from '../../server/domain/api-token.ts'
import { Migrator } from 'kysely'
import request from 'supertest'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { FolderMigrationProvider } from '../../server/db/migrate.ts'
import { isSamePerson } from '../../server/domain/booking-form.ts'
import { messageOf } from '../../server/mail/outbox.ts'
import { renderMail } from '../../server/mail/render.ts'
import { createApiToken } from '../../server/services/api-token-service.ts'
import { setClassPublic } from '../../server/services/class-service.ts'
import { anonymiseExpired } from '../../server/services/privacy-service.ts'
import { listActiveSubscriptions } from '../../server/repositories/interest-repository.ts'
import { syncCatalogue } from '../../server/services/catalogue-service.ts'
import { createClass, createStaff, staffIdOf, asStaff } from '../helpers/factories.ts'
import { buildTestApp, csrfOf, submitBooking, type TestApp } from '../helpers/http.ts'
import { coursesDir, newEmptyPostgresDatabase, onPostgres, openDatabase } from '../helpers/database.ts'

/** Unicode category Cf: bidi controls, zero-width characters, soft hyphen, BOM … */
const FORMAT_CHARACTER = /\p{Cf}/u

describe('bad text: invisible characters, look-alikes and broken encodings', () => {
  let t: TestApp
  beforeAll(async () => { t = await buildTestApp({ bookingRateLimit: 1000 }) })
  afterAll(async () => { await t.app.close() })

  it('a name with bidi overrides and zero-width characters is stored clean and in NFC', async () => {
    const classId = await createClass(t.db, { capacity: 5 })
    // A right-to-left override, a zero-width space, a soft hyphen, a BOM, bidi isolates
    // and a decomposed å (a + combining ring).
    const typed = '\u202EGrethe\u200B Ha\u00ADnsen\uFEFF Ba\u030Agø\u2066\u2069'
    const res = await submitBooking(t.app, classId, { name: typed, phone: '12 34 56 70', needs_other: 'Rolla\u200Dtor\u202C', booker_name: '' })
    expect(res.status).toBe(303)
    const row = await t.db.selectFrom('participants').innerJoin('bookings', 'bookings.participant_id', 'participants.id')
      .select(['participants.name', 'bookings.needs_other']).where('participants.phone', '=', '+4512345670').executeTakeFirstOrThrow()
    expect(row.name).toBe('Grethe Hansen Bågø')
    expect(row.name).toBe(row.name.normalize('NFC'))
    expect(row.needs_other).toBe('Rollator')
    expect(row.name).not.toMatch(FORMAT_CHARACTER)
  })

  it('the duplicate check sees through zero-width characters, full-width look-alikes, case and spacing', () => {
    const grethe = { name: 'Grethe Hansen', contacts: ['+4512345678'] }
    for (const lookAlike of ['Gre\u200Bthe Hansen', 'Grethe\u00A0\u00A0Hansen', 'Ｇｒｅｔｈｅ　Ｈａｎｓｅｎ', 'GRETHE HANSEN', 'Gre\u00ADthe Han\u2060sen', '\u202EGrethe Hansen\u202C']) {
      expect(isSamePerson({ name: lookAlike, contacts: ['+4512345678'] }, grethe), lookAlike).toBe(true)
    }
    // Case folding beyond toLowerCase: ß and SS are one name.
    expect(isSamePerson({ name: 'Jens Strauß', contacts: ['a@b.dk'] }, { name: 'JENS STRAUSS', contacts: ['a@b.dk'] })).toBe(true)
    // E-mail addresses are compared without regard to case.
    expect(isSamePerson({ name: 'Grethe Hansen', contacts: ['Grethe@Example.DK'] }, { name: 'Grethe Hansen', contacts: ['grethe@example.dk'] })).toBe(true)
    // Not faked: another name, or no shared contact, stays another person.
    expect(isSamePerson({ name: 'Grethe Hansén', contacts: ['+4512345678'] }, grethe)).toBe(false)
    expect(isSamePerson({ name: 'Ｇｒｅｔｈｅ Hansen', contacts: ['+4587654321'] }, grethe)).toBe(false)
  })

  it('invalid UTF-8 in a JSON body is a 400 with a Danish message and a stable code, never mangled into a booking', async () => {
    await createStaff(t.db, 'admin', 'utf8-admin@bib.dk')
    const apiToken = (await createApiToken(t.db, asStaff(await staffIdOf(t.db, 'utf8-admin@bib.dk')), { name: 'Test', scopes: [...API_SCOPES], expiresAt: '2099-01-01T00:00:00.000Z' })).token
    const classId = await createClass(t.db, { capacity: 5 })
    const body = Buffer.concat([Buffer.from('{"name":"Grethe '), Buffer.from([0xC3, 0x28]), Buffer.from(' Hansen","phone":"12345677"}')])
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/classes/${classId}/bookings`,
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      payload: body
    })
    expect(res.statusCode).toBe(400)
    const error = res.json<{ error: { status: number, code: string, message: string } }>().error
    expect(error, res.body).toMatchObject({ status: 400, code: 'invalid_utf8' })
    expect(error.message).toMatch(/UTF-8/)
    expect(error.message).toMatch(/kan ikke læse/)
    expect(await t.db.selectFrom('participants').select('id').where('phone', '=', '+4512345677').execute()).toEqual([])
  })
})

const COURSE = 'mitid-kom-godt-i-gang'

describe('interest list: an address is confirmed before it gets anything but the confirmation', () => {
  let t: TestApp
  let staffId: number
  beforeAll(async () => {
    t = await buildTestApp()
    await createStaff(t.db, 'leader', 'interest-leader@bib.dk')
    staffId = await staffIdOf(t.db, 'interest-leader@bib.dk')
  })
  afterAll(async () => { await t.app.close() })
  afterEach(() => { vi.useRealTimers() })

  async function signUp (email: string) {
    const agent = request.agent(t.app.server)
    const csrf = csrfOf((await agent.get(`/kurser/${COURSE}`)).text)
    const res = await agent.post(`/kurser/${COURSE}/besked`).type('form').send({ _csrf: csrf, email })
    expect(res.status).toBe(303)
    return await agent.get(String(res.headers.location))
  }
  const mailsTo = async (email: string) => await t.db.selectFrom('outbox').selectAll().where('recipient', '=', email).orderBy('id').execute()
  async function publishClass (meeting: string): Promise<void> {
    const id = await createClass(t.db, { course: COURSE, isPublic: false, meetings: [meeting] })
    await setClassPublic(t.db, asStaff(staffId), id, true)
  }

  it('signing up someone else\'s address sends one confirmation e-mail, and no class news until the link is used', async () => {
    const page = await signUp('nabo@example.dk')
    expect(page.text).toContain('Vi har sendt dig en e-mail. Tryk på linket i den for at få besked.')
    // Again at once: the same answer, and no second e-mail to flood the address with.
    const again = await signUp('Nabo@Example.dk')
    expect(again.text).toBe(page.text.replace(csrfOf(page.text), csrfOf(again.text)))
    await publishClass('2030-05-06T10:00')

    const mails = await mailsTo('nabo@example.dk')
    expect(mails.map(m => m.kind)).toEqual(['interest_confirm'])
    const row = await t.db.selectFrom('interest_subscriptions').selectAll().where('email', '=', 'nabo@example.dk').executeTakeFirstOrThrow()
    expect(row.confirmed_at).toBeNull()

    // The link in the e-mail: its token is stored only as a hash.
    const rendered = await renderMail(messageOf(mails[0]!), { publicUrl: t.config.publicUrl, organisationName: 'Test', contactPhone: '', contactEmail: '', now: new Date() })
    const link = /https?:\/\/[^\s"]+\/interesse\/bekraeft\/([A-Za-z0-9_-]+)/.exec(rendered.text)
    expect(link).not.toBeNull()
    const token = link![1]!
    expect(JSON.stringify(row)).not.toContain(token)

    // A GET (a mail scanner following the link) changes nothing; the page has a button.
    const agent = request.agent(t.app.server)
    const confirmPage = await agent.get(`/interesse/bekraeft/${token}`)
    expect(confirmPage.status).toBe(200)
    expect(confirmPage.text).toContain('Ja, giv mig besked')
    expect((await t.db.selectFrom('interest_subscriptions').select('confirmed_at').where('id', '=', row.id).executeTakeFirstOrThrow()).confirmed_at).toBeNull()
    // Without the form's CSRF token: refused, nothing changes.
    expect((await request(t.app.server).post(`/interesse/bekraeft/${token}`).type('form').send({})).status).toBe(403)
    const confirmed = await agent.post(`/interesse/bekraeft/${token}`).type('form').send({ _csrf: csrfOf(confirmPage.text) })
    expect(confirmed.status).toBe(200)
    expect(confirmed.text).toContain('Du får nu besked')

    // From now on, news of new classes reaches the address.
    await publishClass('2030-06-03T10:00')
    expect((await mailsTo('nabo@example.dk')).map(m => m.kind)).toEqual(['interest_confirm', 'interest_new_classes'])
    // Signing up again an address already on the list: the same page, no e-mail.
    expect((await signUp('nabo@example.dk')).text).toContain('Vi har sendt dig en e-mail. Tryk på linket i den for at få besked.')
    expect(await mailsTo('nabo@example.dk')).toHaveLength(2)
    expect((await request(t.app.server).get('/interesse/bekraeft/ikke-et-rigtigt-token-123456')).status).toBe(404)
  })

  it('a pending sign-up gets one more e-mail only after 10 minutes, and expires after 7 days', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2030-01-10T10:00:00Z'))
    await signUp('glemsom@example.dk')
    vi.setSystemTime(new Date('2030-01-10T10:09:00Z'))
    await signUp('glemsom@example.dk')
    expect(await mailsTo('glemsom@example.dk')).toHaveLength(1)
    vi.setSystemTime(new Date('2030-01-10T10:11:00Z'))
    await signUp('glemsom@example.dk')
    expect((await mailsTo('glemsom@example.dk')).map(m => m.kind)).toEqual(['interest_confirm', 'interest_confirm'])

    // Eight days later the retention job deletes the unconfirmed sign-up and its e-mails.
    await anonymiseExpired(t.db, 12, new Date('2030-01-18T11:00:00Z'))
    expect(await t.db.selectFrom('interest_subscriptions').select('id').where('email', '=', 'glemsom@example.dk').execute()).toEqual([])
    expect(await mailsTo('glemsom@example.dk')).toEqual([])
  })
})

describe('interest list: the migration', () => {
  it('counts sign-ups made before confirmation was asked for as confirmed, and its down step runs', async () => {
    const db = openDatabase(onPostgres ? await newEmptyPostgresDatabase() : ':memory:')
    try {
      const provider = new FolderMigrationProvider()
      const names = Object.keys(await provider.getMigrations())
      const mine = names.find(n => n.endsWith('_interest_confirmation')) as string
      const before = names[names.indexOf(mine) - 1] as string
      const migrator = new Migrator({ db, provider })
      expect((await migrator.migrateTo(before)).error).toBeUndefined()
      await syncCatalogue(db, coursesDir)
      await db.insertInto('interest_subscriptions')
        .values({ course_slug: COURSE, email: 'gammel@example.dk', token: 'tok-from-before-123456', created_at: '2026-05-01T10:00:00.000Z', unsubscribed_at: null }).execute()
      expect((await migrator.migrateTo(mine)).error).toBeUndefined()
      expect(await db.selectFrom('interest_subscriptions').select(['confirmed_at', 'confirm_token_hash']).execute())
        .toEqual([{ confirmed_at: '2026-05-01T10:00:00.000Z', confirm_token_hash: null }])
      expect((await listActiveSubscriptions(db, COURSE)).map(s => s.email)).toEqual(['gammel@example.dk'])
      expect((await migrator.migrateTo(before)).error).toBeUndefined()
      expect((await migrator.migrateTo(mine)).error).toBeUndefined()
    } finally {
      await db.destroy()
    }
  })
})
