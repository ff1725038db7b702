import { DateTime } from 'luxon'
import request from 'supertest'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ZONE } from '../../server/domain/time.ts'
import { createClass, createStaff } from '../helpers/factories.ts'
import { type TestApp, buildTestApp, csrfOf, openBookingForm, signedInCookie, validBooking } from '../helpers/http.ts'

/**
 * In production the class page and the catalogue are made once for everyone who is not
 * signed in, and only the visitor's own CSRF token goes into the page (reply.viewKept).
 * What nobody may get from that: another visitor's token or session, a staff member's
 * name, menu or token, or a page that stays as it was after a booking or after the class
 * began.
 */
describe('pages made once for citizens', () => {
  let t: TestApp
  afterEach(async () => { vi.useRealTimers(); await t.app.close() })

  const production = async () => { t = await buildTestApp({ isProduction: true }) }
  const get = async (path: string, cookie?: string) => {
    const req = request(t.app.server).get(path)
    const res = await (cookie ? req.set('cookie', cookie) : req)
    // The marker the kept page is made with never goes out.
    expect(res.text).not.toMatch(/csrf[0-9a-f]{32}/)
    return res
  }
  const book = async (classId: number, form: { cookie: string, csrf: string }, fields: Record<string, string> = {}) =>
    await request(t.app.server).post(`/hold/${classId}/tilmeld`).set('cookie', form.cookie).type('form').send({ _csrf: form.csrf, ...validBooking(fields) })

  it('gives every visitor a session and a token of their own, and a token works only with its own session', async () => {
    await production()
    const classId = await createClass(t.db)
    const a = await openBookingForm(t.app, classId)
    const b = await openBookingForm(t.app, classId)
    expect(a.cookie).not.toBe(b.cookie)
    expect(a.csrf).not.toBe(b.csrf)
    // The page made for the first visitor, with no token in it, is never sent as it is.
    expect((await get(`/hold/${classId}`)).text).toMatch(/name="_csrf" value="[^"]{20,}"/)
    const crossed = await book(classId, { cookie: b.cookie, csrf: a.csrf })
    expect(crossed.status).toBe(403)
    expect((await book(classId, a)).status).toBe(303)
    expect((await book(classId, b, { name: 'Bent Jensen', phone: '87 65 43 21' })).status).toBe(303)
  })

  it('gives visitors who come at the same moment, before the page is kept, each their own token', async () => {
    await production()
    const classId = await createClass(t.db, { capacity: 4 })
    const forms = await Promise.all([1, 2, 3].map(async () => await openBookingForm(t.app, classId)))
    expect(new Set(forms.map(f => f.csrf)).size).toBe(3)
    for (const [i, form] of forms.entries()) {
      expect((await book(classId, form, { name: `Deltager ${i}`, phone: `87 65 43 2${i}` })).status).toBe(303)
    }
  })

  it('answers another spelling of the path with a page of its own, right and with its own token', async () => {
    await production()
    const classId = await createClass(t.db)
    const digits = String(classId)
    const spellings = [`/hold/%3${digits[0]}${digits.slice(1)}`, `/hold/${digits}/`, ...Array.from({ length: 10 }, (_, i) => `/hold/${digits}/?x=${i}`)]
    const tokens = new Set<string>()
    for (const path of [...spellings, `/hold/${digits}`]) {
      const res = await get(path)
      expect(res.status).toBe(200)
      expect(res.text).toContain('Der er 10 ledige pladser.')
      tokens.add(csrfOf(res.text))
    }
    expect(tokens.size).toBe(spellings.length + 1)
  })

  it('shows staff their own name, menu and token, and shows none of it to a citizen before or after them', async () => {
    await production()
    const classId = await createClass(t.db)
    const citizenBefore = await get(`/hold/${classId}`)
    const staff = await signedInCookie(t.app, await createStaff(t.db, 'leader'))
    const asStaff = await get(`/hold/${classId}`, staff)
    expect(asStaff.text).toContain('Logget ind som')
    expect(asStaff.text).toContain('action="/personale/log-ud"')
    const citizenAfter = await get(`/hold/${classId}`)
    for (const page of [citizenBefore, citizenAfter]) {
      expect(page.status).toBe(200)
      expect(page.text).not.toContain('Logget ind som')
      expect(page.text).not.toContain('/personale/log-ud')
    }
    // Every token the staff page carried (the form's and the menu's) is the staff member's alone.
    const staffTokens = [...asStaff.text.matchAll(/name="_csrf" value="([^"]+)"/g)].map(m => m[1])
    expect(staffTokens.length).toBeGreaterThanOrEqual(2)
    for (const token of staffTokens) expect(citizenAfter.text).not.toContain(token)
  })

  it('shows the seats left as soon as someone books', async () => {
    await production()
    const classId = await createClass(t.db, { capacity: 3 })
    expect((await get(`/hold/${classId}`)).text).toContain('Der er 3 ledige pladser.')
    expect((await book(classId, await openBookingForm(t.app, classId))).status).toBe(303)
    expect((await get(`/hold/${classId}`)).text).toContain('Der er 2 ledige pladser.')
  })

  it('takes the form away once the class has begun, though nothing was written', async () => {
    const start = DateTime.now().setZone(ZONE).plus({ days: 1 }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 })
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(start.minus({ seconds: 10 }).toJSDate())
    await production()
    const classId = await createClass(t.db, { meetings: [start.toISO({ includeOffset: false }) as string] })
    const before = await get(`/hold/${classId}`)
    expect(before.text).toContain('Der er 10 ledige pladser.')
    expect(csrfOf(before.text)).not.toBe('')
    // Five seconds after the start: the class's value in the read cache is still the same.
    vi.setSystemTime(start.plus({ seconds: 5 }).toJSDate())
    const after = await get(`/hold/${classId}`)
    expect(after.text).toContain('Holdet er begyndt.')
    expect(after.text).not.toContain(`action="/hold/${classId}/tilmeld"`)
  })

  it('says a filter was ignored only on the catalogue asked with it, and pages the catalogue apart', async () => {
    await production()
    // Thirty-one classes: two pages of thirty.
    for (let i = 0; i < 31; i++) await createClass(t.db)
    const plain = await get('/')
    const ignored = await get('/?emne=ukendt-emne')
    const second = await get('/?side=2')
    const again = await get('/')
    expect(plain.status).toBe(200)
    expect(ignored.status).toBe(200)
    expect(ignored.text).not.toBe(plain.text)
    expect(again.text).toBe(plain.text)
    expect(plain.text).toContain('<title>Kommende hold –')
    expect(second.text).toContain('<title>Kommende hold, side 2 –')
    expect(second.text).not.toBe(plain.text)
    expect(plain.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(plain.headers['set-cookie']).toBeUndefined()
  })
})
