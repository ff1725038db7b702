/// <reference lib="dom" />
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bookSeat } from '../../server/services/booking-service.ts'
import { cancelClass } from '../../server/services/class-service.ts'
import { bookingInput, bookNew, createClass, createClassToday, createStaff } from '../helpers/factories.ts'
import { type TestApp } from '../helpers/http.ts'
import { axeViolations, chromiumOrSkip, launchChromium, layoutCheckRuns, LayoutWatch, noSidewaysScroll, signInInBrowser, startTestServer } from './browser.ts'
import { CITIZEN, SYSTEM } from '../../server/domain/actor.ts'

const run = chromiumOrSkip()
const screenshots = join(import.meta.dirname, 'screenshots')
const widths = [390, 820, 1280]

describe.skipIf(!run)('a newcomer and a leader in a real browser', () => {
  let t: TestApp & { base: string }
  let browser: Browser
  const layout = new LayoutWatch()

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true })
    t = await startTestServer()
    browser = await launchChromium()
    layout.watch(browser)
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await t?.app.close()
  })

  it('sends the first visit to /personale on a new installation to the first-admin form', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
    const page = await context.newPage()
    await page.goto(`${t.base}/personale`)
    expect(new URL(page.url()).pathname).toBe('/personale/opret-administrator')
    expect(await page.locator('h1').textContent()).toContain('administrator')
    // An empty name is missing, not too long.
    await page.getByRole('button', { name: /Opret/ }).click()
    await page.waitForLoadState('load')
    expect(await page.locator('#f-name-error').textContent()).toContain('Skriv dit navn')
    expect(await page.locator('main').textContent()).not.toContain('højst 100 tegn')
    expect(await axeViolations(page)).toEqual([])
    for (const width of widths) {
      await page.setViewportSize({ width, height: 900 })
      await page.screenshot({ path: join(screenshots, `first-admin-${width}.png`), fullPage: true })
    }
    await context.close()
  })

  it('shows each attendance box as a real checkbox that a leader ticks by keyboard and saves', async () => {
    const login = await createStaff(t.db, 'leader', 'leder-fremmoede@bib.dk')
    const { classId } = await createClassToday(t.db, { capacity: 5 })
    const earlier = new Date(Date.now() - 3 * 86400_000)
    for (const name of ['Grethe Hansen', 'Bent Olsen']) await bookSeat(t.db, CITIZEN, classId, bookingInput({ name, phone: null, email: `${name.split(' ')[0]!.toLowerCase()}@example.dk` }), { source: 'phone', now: earlier })
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    await signInInBrowser(page, t.base, login.email, login.password)
    await page.goto(`${t.base}/personale/hold/${classId}/fremmoede`)

    const boxes = page.locator('input.attendance-check')
    expect(await boxes.count()).toBe(2)
    for (const box of await boxes.all()) {
      const look = await box.evaluate((el) => {
        const r = el.getBoundingClientRect()
        const s = getComputedStyle(el)
        return { width: r.width, height: r.height, border: parseFloat(s.borderTopWidth), borderStyle: s.borderTopStyle, borderColor: s.borderTopColor, opacity: s.opacity, visibility: s.visibility }
      })
      expect(look.width).toBeGreaterThanOrEqual(24)
      expect(look.height).toBeGreaterThanOrEqual(24)
      expect(look.border).toBeGreaterThanOrEqual(2)
      expect(look.borderStyle).toBe('solid')
      expect(look.borderColor).not.toMatch(/rgba\(.*, 0\)|transparent/)
      expect(look.opacity).toBe('1')
      expect(look.visibility).toBe('visible')
    }
    // A tick shows: the box turns dark.
    const before = await boxes.first().evaluate(el => getComputedStyle(el).backgroundColor)
    await boxes.first().focus()
    await page.keyboard.press('Space')
    expect(await boxes.first().isChecked()).toBe(true)
    expect(await boxes.first().evaluate(el => getComputedStyle(el).backgroundColor)).not.toBe(before)
    expect(await axeViolations(page)).toEqual([])
    for (const width of widths) {
      await page.setViewportSize({ width, height: 900 })
      expect(await noSidewaysScroll(page)).toBe(true)
      await page.screenshot({ path: join(screenshots, `attendance-${width}.png`), fullPage: true })
    }
    await page.getByRole('button', { name: 'Gem fremmøde' }).click()
    await page.waitForLoadState('load')
    expect(await page.locator('#besked').textContent()).toContain('Fremmødet er gemt.')
    const rows = await t.db.selectFrom('attendances').innerJoin('participants', 'participants.id', 'attendances.participant_id').select(['participants.name', 'attendances.via']).execute()
    // The list is in name order: Bent Olsen comes first.
    expect(rows).toEqual([{ name: 'Bent Olsen', via: 'paper' }])
    expect(await page.locator('input.attendance-check').first().isChecked()).toBe(true)
    await context.close()
  })

  it('asks whom the booking is for first, with and without JavaScript', async () => {
    const classId = await createClass(t.db, { capacity: 1, meetings: ['2030-03-05T10:00'] })
    for (const javaScriptEnabled of [true, false]) {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, javaScriptEnabled })
      const page = await context.newPage()
      await page.goto(`${t.base}/hold/${classId}`)
      const choice = await page.locator('.who-books').boundingBox()
      const name = await page.locator('#f-name').boundingBox()
      expect(choice && name && choice.y + choice.height <= name.y, `choice above the name, js ${javaScriptEnabled}`).toBe(true)
      expect(await page.getByLabel('Mig selv', { exact: true }).isChecked()).toBe(true)
      expect(await page.getByLabel('Dit navn', { exact: true }).isVisible()).toBe(!javaScriptEnabled)
      // Without JavaScript no participant's label speaks as "jeg" or "dig": they are right for a daughter too.
      const words = await page.locator('form.booking-form').innerText()
      if (javaScriptEnabled) expect(words).toContain('Jeg har en hjælper')
      else expect(words).not.toMatch(/Jeg har|Jeg bruger|Sådan kan vi kontakte dig/)
      await page.getByLabel('En anden, fx min mor, far eller en nabo').check()
      // With JavaScript the wording follows at once; without, the neutral labels stay right.
      expect(await page.locator('label[for="f-phone"]').innerText()).toBe(javaScriptEnabled ? 'Deltagerens telefonnummer' : 'Telefonnummer')
      expect(await page.getByLabel('Dit navn', { exact: true }).isVisible()).toBe(true)
      // axe-core runs inside the page, so only where scripts run; the markup is the same.
      if (javaScriptEnabled) expect(await axeViolations(page)).toEqual([])
      for (const width of widths) {
        await page.setViewportSize({ width, height: 900 })
        if (javaScriptEnabled) expect(await noSidewaysScroll(page)).toBe(true)
        await page.screenshot({ path: join(screenshots, `booking-form-${javaScriptEnabled ? 'js' : 'nojs'}-${width}.png`), fullPage: true })
        await page.locator('form.booking-form').screenshot({ path: join(screenshots, `booking-form-only-${javaScriptEnabled ? 'js' : 'nojs'}-${width}.png`) })
      }
      await context.close()
    }
  })

  it('shows a waiting-list place and a class the organiser cancelled plainly', async () => {
    const classId = await createClass(t.db, { capacity: 1, meetings: ['2030-03-05T10:00'] })
    await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Bent Olsen', phone: '+4510000001' }), { source: 'online' })
    const waiting = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Grethe Hansen', phone: '+4510000002' }), { source: 'online' })
    const other = await createClass(t.db, { capacity: 5, meetings: ['2030-03-06T10:00'] })
    const cancelled = await bookNew(t.db, CITIZEN, other, bookingInput({ name: 'Karen Jensen', phone: '+4510000003' }), { source: 'online' })
    await cancelClass(t.db, SYSTEM, other)
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
    const page = await context.newPage()
    for (const [label, token, heading] of [['waitlist', waiting.token, 'Du er på ventelisten'], ['class-cancelled', cancelled.token, 'Holdet er aflyst']] as const) {
      await page.goto(`${t.base}/tilmelding/${token}`)
      expect(await page.locator('h1').innerText()).toBe(heading)
      expect(await axeViolations(page)).toEqual([])
      for (const width of widths) {
        await page.setViewportSize({ width, height: 900 })
        expect(await noSidewaysScroll(page)).toBe(true)
        await page.screenshot({ path: join(screenshots, `booking-${label}-${width}.png`), fullPage: true })
      }
    }
    await context.close()
  })

  it.runIf(layoutCheckRuns)('has no layout problems at 390, 820 and 1280 px wide on any page the tests showed', { timeout: 240_000 }, async () => {
    expect(await layout.problems()).toEqual({})
  })
})
