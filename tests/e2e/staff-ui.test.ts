/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DateTime } from 'luxon'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CITIZEN } from '../../server/domain/actor.ts'
import { ZONE } from '../../server/domain/time.ts'
import { bookingInput, bookNew, createClass, createStaff } from '../helpers/factories.ts'
import { buildTestApp } from '../helpers/http.ts'
import { axeViolations, chromiumOrSkip, launchChromium, layoutCheckRuns, LayoutWatch, noSidewaysScroll, signInInBrowser, startTestServer } from './browser.ts'

const run = chromiumOrSkip()
const screenshots = join(import.meta.dirname, 'screenshots')
const WIDTHS = [390, 820, 1280] as const

/** Each form's submit buttons that sit below a text field, select or text area: the gap to it in px. */
async function buttonGaps (page: Page): Promise<Array<{ button: string, gap: number }>> {
  return await page.evaluate(() => {
    const gaps: Array<{ button: string, gap: number }> = []
    const fieldSelector = 'input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea'
    for (const form of Array.from(document.querySelectorAll('main form'))) {
      const fields = Array.from(form.querySelectorAll<HTMLElement>(fieldSelector)).filter(f => f.getBoundingClientRect().height > 0)
      for (const button of Array.from(form.querySelectorAll<HTMLElement>('button[type=submit], button:not([type])'))) {
        const b = button.getBoundingClientRect()
        if (b.height === 0) continue
        const above = fields
          .filter(f => (f.compareDocumentPosition(button) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0)
          .map(f => f.getBoundingClientRect())
          .filter(r => r.bottom <= b.top + 1 && r.right > b.left && r.left < b.right)
        if (above.length === 0) continue
        const nearest = Math.max(...above.map(r => r.bottom))
        gaps.push({ button: (button.textContent ?? '').trim(), gap: Math.round(b.top - nearest) })
      }
    }
    return gaps
  })
}

describe.skipIf(!run)('the leader\'s pages on a phone, a tablet and a desktop', () => {
  let t: Awaited<ReturnType<typeof startTestServer>>
  let site: Awaited<ReturnType<typeof buildTestApp>> | undefined
  let browser: Browser
  const layout = new LayoutWatch()
  let classId: number
  let callDay: string
  let leader: { email: string, password: string }
  let firstParticipant: number
  let firstBooking: number
  let signedIn: Awaited<ReturnType<Awaited<ReturnType<Browser['newContext']>>['storageState']>>

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true })
    t = await startTestServer()
    leader = await createStaff(t.db, 'leader', 'lone@bib.dk')
    // Three days ahead at 10.00: the two-day reminder falls tomorrow morning, after every
    // booking below whatever the time of day, so those without e-mail are on tomorrow's call list.
    const start = DateTime.now().setZone(ZONE).plus({ days: 3 }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 })
    callDay = start.minus({ days: 2 }).toISODate() as string
    classId = await createClass(t.db, { capacity: 12, meetings: [start.toISO({ includeOffset: false }) as string] })
    await t.db.updateTable('classes').set({ waitlist_mode: 'call' }).where('id', '=', classId).execute()
    const names = ['Grethe Margrethe Østergaard-Christensen', 'Hans Hansen', 'Inger Lund', 'Jørgen Pedersen', 'Kirsten Holm', 'Bent Møller', 'Lis Sørensen', 'Poul Rasmussen', 'Birthe Kristensen', 'Erik Madsen', 'Hanne Olsen', 'Ole Thomsen', 'Karen Poulsen', 'Niels Larsen', 'Ruth Andersen', 'Svend Jensen']
    for (const [i, name] of names.entries()) {
      await bookNew(t.db, CITIZEN, classId, bookingInput({
        name,
        phone: `+452${String(1000000 + i * 7919).padStart(7, '0')}`,
        email: i % 3 === 0 ? null : `${name.split(' ')[0]!.toLowerCase()}.meget.lang.adresse${i}@eksempel-kommune.dk`,
        needsCompanion: i % 4 === 0,
        needsHearingLoop: i % 5 === 0,
        needsOther: i === 2 ? 'Kommer med rollator og skal sidde tæt på døren' : null,
        booker: i === 1 ? { name: 'Datteren Susanne Hansen', phone: '+4540404040', email: null } : null
      }), { source: i % 2 === 0 ? 'online' : 'phone' })
    }
    // The same person once more, on another class, so that the participant page offers a merge.
    const other = await createClass(t.db, { meetings: ['2030-09-01T10:00'] })
    await bookNew(t.db, CITIZEN, other, bookingInput({ name: 'Hans H.', phone: '+4521007919' }), { source: 'online' })
    firstParticipant = (await t.db.selectFrom('participants').select('id').where('name', '=', 'Hans Hansen').executeTakeFirstOrThrow()).id
    firstBooking = (await t.db.selectFrom('bookings').select('id').where('participant_id', '=', firstParticipant).executeTakeFirstOrThrow()).id
    // A second site with its own name and logo, made here so that it runs until the file
    // ends: the layout check shows its pages again after the logo test.
    const dir = mkdtempSync(join(tmpdir(), 'logo-'))
    writeFileSync(join(dir, 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="48" viewBox="0 0 120 48"><rect width="120" height="48" rx="6" fill="#ffffff"/><circle cx="24" cy="24" r="14" fill="#004d99"/><text x="46" y="31" font-family="sans-serif" font-size="18" fill="#004d99">Horsens</text></svg>')
    site = await buildTestApp({ siteName: 'Digitale kurser i Horsens', logoFile: join(dir, 'logo.svg') })
    await site.app.listen({ port: 0, host: '127.0.0.1' })
    browser = await launchChromium()
    layout.watch(browser)
    // One sign-in, reused: signing in for every page would run into the sign-in limit.
    const context = await browser.newContext()
    await signInInBrowser(await context.newPage(), t.base, leader.email, leader.password)
    signedIn = await context.storageState()
    await context.close()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.app.close()
    await site?.app.close()
  })

  async function signedInPage (width: number) {
    const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'da-DK', storageState: signedIn })
    context.setDefaultTimeout(15_000)
    return await context.newPage()
  }

  for (const width of WIDTHS) {
    it(`the class page with many participants fits at ${width} px: nothing cut off, phone numbers on one line`, { timeout: 120_000 }, async () => {
      const page = await signedInPage(width)
      await page.goto(`${t.base}/personale/hold/${classId}`)
      await page.screenshot({ path: join(screenshots, `staff-class-${width}.png`), fullPage: true })
      await page.locator('.participants-table').scrollIntoViewIfNeeded()
      await page.screenshot({ path: join(screenshots, `staff-class-rows-${width}.png`) })
      expect(await noSidewaysScroll(page)).toBe(true)
      const wrap = await page.locator('.participants-table').evaluate(table => {
        const box = table.parentElement!
        const right = box.getBoundingClientRect().right
        const wide = Array.from(box.querySelectorAll('*')).filter(e => e.getBoundingClientRect().right > right + 1).slice(0, 5).map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)
        return { scrolls: box.scrollWidth > box.clientWidth + 1, right, wide, sw: box.scrollWidth, cw: box.clientWidth }
      })
      expect(wrap).toMatchObject({ scrolls: false })
      const cancelLinks = page.locator('.participants-table a', { hasText: 'Afmeld' })
      expect(await cancelLinks.count()).toBe(16)
      for (const box of await cancelLinks.evaluateAll(links => links.map(l => l.getBoundingClientRect().toJSON() as DOMRect))) {
        expect(box.width).toBeGreaterThan(0)
        expect(box.right).toBeLessThanOrEqual(Math.min(wrap.right, width) + 1)
      }
      const phones = await page.locator('.participants-table a.phone').evaluateAll(links => links.map(l => ({
        lines: l.getClientRects().length,
        height: l.getBoundingClientRect().height,
        lineHeight: parseFloat(getComputedStyle(l).lineHeight),
        href: l.getAttribute('href')
      })))
      expect(phones.length).toBe(17)
      for (const phone of phones) {
        expect(phone.lines).toBe(1)
        expect(phone.height).toBeLessThan(phone.lineHeight * 1.5)
        expect(phone.href).toMatch(/^tel:\+45\d{8}$/)
      }
      // On a desktop it is a table; on a tablet and a phone each person is a block of labelled rows.
      expect(await page.locator('.participants-table thead').isVisible()).toBe(width === 1280)
      expect(await page.locator('.participants-table').evaluate(table => getComputedStyle(table).display)).toBe(width === 1280 ? 'table' : 'block')
      expect(await axeViolations(page)).toEqual([])
    })

    it(`staff links are big enough to tap and buttons keep their distance at ${width} px`, { timeout: 120_000 }, async () => {
      const page = await signedInPage(width)
      await page.goto(`${t.base}/personale/hold/${classId}`)
      const links = await page.locator('.staff-nav a').evaluateAll(as => as.map(a => ({ text: a.textContent, height: a.getBoundingClientRect().height })))
      expect(links.length).toBeGreaterThan(5)
      for (const link of links) expect(link.height, link.text ?? '').toBeGreaterThanOrEqual(44)

      const pages = [`/personale/hold/${classId}`, '/personale/hold/ny', `/personale/hold/${classId}/ret`, `/personale/deltagere/${firstParticipant}`, `/personale/hold/${classId}/venteliste`, `/personale/ringeliste?dag=${callDay}`, '/personale/profil', '/personale/steder/ny', '/personale/deltagere',
        `/personale/hold/${classId}/tilmeld`, `/personale/tilmeldinger/${firstBooking}`, `/personale/hold/${classId}/fremmoede`, `/personale/hold/${classId}/laeringsmaal`, '/personale/partnere/ny', '/personale/uge', `/personale/hold/${classId}/besked`, '/personale/beskeder?kanal=sms']
      for (const path of pages) {
        await page.goto(`${t.base}${path}`)
        for (const { button, gap } of await buttonGaps(page)) expect(gap, `${path}: ${button}`).toBeGreaterThanOrEqual(16)
      }
    })

    it(`time fields on the class form are wide enough for "10:30" at ${width} px`, { timeout: 120_000 }, async () => {
      const page = await signedInPage(width)
      await page.goto(`${t.base}/personale/hold/${classId}/ret`)
      await page.locator('#f-meeting-start-1').fill('10:30')
      await page.locator('#f-meeting-start-1').scrollIntoViewIfNeeded()
      await page.screenshot({ path: join(screenshots, `staff-class-form-${width}.png`) })
      expect(await noSidewaysScroll(page)).toBe(true)
      const fits = await page.locator('input[type=time]').evaluateAll(inputs => inputs.map(input => {
        const style = getComputedStyle(input)
        const canvas = document.createElement('canvas').getContext('2d')!
        canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`
        const text = canvas.measureText('10:30').width
        const inner = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
        // Room for the text and the browser's clock button beside it.
        return { id: input.id, inner, needed: text + 2 * parseFloat(style.fontSize) }
      }))
      expect(fits.length).toBeGreaterThan(0)
      for (const f of fits) expect(f.inner, f.id).toBeGreaterThanOrEqual(f.needed)
      expect(await axeViolations(page)).toEqual([])
    })

    it(`the call-down cards and the call list read well at ${width} px`, { timeout: 120_000 }, async () => {
      const page = await signedInPage(width)
      await page.goto(`${t.base}/personale/hold/${classId}/venteliste`)
      await page.screenshot({ path: join(screenshots, `staff-call-down-${width}.png`) })
      expect(await noSidewaysScroll(page)).toBe(true)
      const cards = await page.locator('.call-card').evaluateAll(cs => cs.map(c => {
        const style = getComputedStyle(c)
        const heading = c.querySelector('h2')!.getBoundingClientRect()
        return { padding: Math.min(parseFloat(style.paddingLeft), parseFloat(style.paddingTop)), inset: heading.left - c.getBoundingClientRect().left }
      }))
      expect(cards.length).toBe(4)
      for (const card of cards) {
        expect(card.padding).toBeGreaterThanOrEqual(12)
        expect(card.inset).toBeGreaterThanOrEqual(12)
      }
      for (const lines of await page.locator('.call-card a.phone').evaluateAll(as => as.map(a => a.getClientRects().length))) expect(lines).toBe(1)
      expect(await axeViolations(page)).toEqual([])

      await page.goto(`${t.base}/personale/ringeliste?dag=${callDay}`)
      await page.screenshot({ path: join(screenshots, `staff-call-list-${width}.png`) })
      expect(await noSidewaysScroll(page)).toBe(true)
      const phones = await page.locator('.call-list a.phone').evaluateAll(as => as.map(a => ({ lines: a.getClientRects().length, nowrap: getComputedStyle(a).whiteSpace })))
      expect(phones.length).toBeGreaterThan(0)
      for (const phone of phones) expect(phone).toEqual({ lines: 1, nowrap: 'nowrap' })
      expect(await axeViolations(page)).toEqual([])
    })
  }

  it('"Afmeld", a merge and cancelling a class each ask first, and "Nej" leaves everything as it was', { timeout: 120_000 }, async () => {
    const page = await signedInPage(820)
    await page.goto(`${t.base}/personale/hold/${classId}`)
    await page.getByRole('link', { name: 'Afmeld Inger Lund' }).click()
    await page.waitForURL(/\/afmeld$/)
    expect(await page.locator('h1').textContent()).toBe('Afmeld Inger Lund?')
    expect(await page.locator('main').textContent()).toContain('ring til ventelisten bagefter')
    await page.screenshot({ path: join(screenshots, 'staff-booking-cancel-820.png'), fullPage: true })
    expect(await axeViolations(page)).toEqual([])
    await page.getByRole('link', { name: 'Nej, gå tilbage' }).click()
    await page.waitForURL(new RegExp(`/personale/hold/${classId}`))
    expect(await page.locator('.participants-table').textContent()).toContain('Inger Lund')

    await page.getByRole('link', { name: 'Afmeld Inger Lund' }).click()
    await page.getByRole('button', { name: 'Ja, afmeld Inger Lund' }).click()
    await page.waitForURL(/afmeldt=1/)
    const message = await page.locator('.alert-success').textContent()
    expect(message).toContain('Pladsen er ledig. Ring til ventelisten')
    expect(message).not.toContain('har fået')
    // The message stands where the page lands (#deltagere), not off screen at the top.
    const box = await page.locator('.alert-success').boundingBox()
    expect(box!.y).toBeGreaterThanOrEqual(0)
    expect(box!.y + box!.height).toBeLessThanOrEqual(900)
    expect(await page.locator('.participants-table').textContent()).not.toContain('Inger Lund')
    await page.screenshot({ path: join(screenshots, 'staff-class-after-cancel-820.png') })

    await page.goto(`${t.base}/personale/deltagere/${firstParticipant}`)
    await page.getByRole('button', { name: 'Slå sammen' }).click()
    await page.waitForLoadState('load')
    expect(await page.locator('h1').textContent()).toBe('Slå Hans Hansen og Hans H. sammen?')
    expect(await t.db.selectFrom('participants').select('id').where('name', '=', 'Hans H.').executeTakeFirst()).toBeDefined()
    await page.screenshot({ path: join(screenshots, 'staff-merge-confirm-820.png'), fullPage: true })
    expect(await axeViolations(page)).toEqual([])
    await page.getByRole('link', { name: 'Nej, gå tilbage' }).click()
    await page.waitForURL(new RegExp(`/personale/deltagere/${firstParticipant}$`))

    await page.goto(`${t.base}/personale/hold/${classId}`)
    await page.getByRole('link', { name: 'Aflys holdet' }).click()
    await page.waitForURL(/\/aflys$/)
    expect(await page.locator('h1').textContent()).toBe('Aflys holdet?')
    expect((await t.db.selectFrom('classes').select('cancelled_at').where('id', '=', classId).executeTakeFirstOrThrow()).cancelled_at).toBeNull()
  })

  it('shows the configured logo with the site name in the header at every width', { timeout: 120_000 }, async () => {
    const base = `http://127.0.0.1:${(site!.app.server.address() as AddressInfo).port}`
    for (const width of WIDTHS) {
      const context = await browser.newContext({ viewport: { width, height: 900 } })
      const page = await context.newPage()
      await page.goto(`${base}/`)
      const logo = page.getByRole('img', { name: 'Digitale kurser i Horsens' })
      expect(await logo.evaluate(img => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0)).toBe(true)
      expect(await page.getByRole('link', { name: 'Digitale kurser i Horsens' }).count()).toBe(1)
      expect(await noSidewaysScroll(page)).toBe(true)
      await page.screenshot({ path: join(screenshots, `site-logo-${width}.png`) })
      expect(await axeViolations(page)).toEqual([])
      await context.close()
    }
  })

  it.runIf(layoutCheckRuns)('has no layout problems at 390, 820 and 1280 px wide on any page the tests showed', { timeout: 240_000 }, async () => {
    expect(await layout.problems()).toEqual({})
  })
})
