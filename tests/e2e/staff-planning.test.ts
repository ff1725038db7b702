/// <reference lib="dom" />
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assignStaff } from '../../server/repositories/class-staff-repository.ts'
import { bookSeat } from '../../server/services/booking-service.ts'
import { cancelClass } from '../../server/services/class-service.ts'
import { bookingInput, createClass, createLocation, createStaff, staffIdOf } from '../helpers/factories.ts'
import { type TestApp } from '../helpers/http.ts'
import { axeViolations, chromiumOrSkip, launchChromium, layoutCheckRuns, LayoutWatch, noSidewaysScroll, signInInBrowser, startTestServer } from './browser.ts'
import { CITIZEN, SYSTEM } from '../../server/domain/actor.ts'

const run = chromiumOrSkip()
const screenshots = join(import.meta.dirname, 'screenshots')

/** The element is drawn, inside the window's width. */
async function fullyVisible (page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).boundingBox()
  const width = page.viewportSize()?.width ?? 0
  return box !== null && box.width > 0 && box.height > 0 && box.x >= 0 && box.x + box.width <= width + 1
}

describe.skipIf(!run)('planning in a real browser: the clash warning and the overview filter', () => {
  let t: TestApp & { base: string }
  let browser: Browser
  const layout = new LayoutWatch()
  let library: number
  let branch: number
  let busyClass: number
  let cancelled: number
  let leader: { email: string, password: string }

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true })
    t = await startTestServer()
    library = await createLocation(t.db, { name: 'Hovedbiblioteket', room: 'Mødelokale 2' })
    branch = await createLocation(t.db, { name: 'Filial Nord', room: 'Studierummet' })
    await createClass(t.db, { locationId: library, course: 'digital-post-laes-og-svar', meetings: ['2031-03-04T10:00'] })
    await createClass(t.db, { locationId: branch, meetings: ['2031-03-05T10:00'] })
    await createClass(t.db, { locationId: branch, meetings: ['2031-09-05T10:00'] })
    // A helper on two classes at once, and a cancelled class with someone to phone.
    const helper = await createStaff(t.db, 'volunteer', 'hjaelper@bib.dk')
    const first = await createClass(t.db, { locationId: branch, meetings: ['2031-04-01T10:00'] })
    busyClass = await createClass(t.db, { locationId: library, meetings: ['2031-04-01T11:00'] })
    await assignStaff(t.db, first, await staffIdOf(t.db, helper.email), 'helper')
    await assignStaff(t.db, busyClass, await staffIdOf(t.db, helper.email), 'instructor')
    cancelled = await createClass(t.db, { locationId: library, meetings: ['2031-05-06T10:00'] })
    await bookSeat(t.db, CITIZEN, cancelled, bookingInput({ name: 'Poul Telefon', phone: '+4512345678' }), { source: 'phone', now: new Date('2031-04-01T10:00:00Z') })
    await cancelClass(t.db, SYSTEM, cancelled)
    leader = await createStaff(t.db, 'leader', 'leder@bib.dk')
    browser = await launchChromium()
    layout.watch(browser)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.app.close()
  })

  for (const width of [390, 1280]) {
    it(`warns about a room taken at that time and keeps the values, at ${width} px`, { timeout: 120_000 }, async () => {
      const context = await browser.newContext({ viewport: { width, height: 900 } })
      context.setDefaultTimeout(15_000)
      const page = await context.newPage()
      await signInInBrowser(page, t.base, leader.email, leader.password)

      await page.goto(`${t.base}/personale/hold/ny`)
      await page.getByLabel('Kursus').selectOption('mitid-kom-godt-i-gang')
      await page.getByLabel('Sted').selectOption(String(library))
      await page.locator('#f-meeting-date-1').fill('2031-03-04')
      await page.locator('#f-meeting-start-1').fill('11:00')
      await page.locator('#f-meeting-end-1').fill('13:00')
      await page.getByRole('button', { name: 'Opret hold' }).click()
      await page.waitForLoadState('load')

      const warning = page.locator('.clash-warning')
      expect(await warning.locator('h2').textContent()).toBe('Lokalet er optaget')
      expect(await warning.textContent()).toContain('Digital Post')
      expect(await fullyVisible(page, '.clash-warning')).toBe(true)
      const confirm = page.getByLabel('Ja, opret alligevel')
      expect(await confirm.isChecked()).toBe(false)
      expect(await fullyVisible(page, '#f-clash-ok')).toBe(true)
      expect(await page.locator('#f-meeting-date-1').inputValue()).toBe('2031-03-04')
      expect(await page.locator('#f-meeting-start-1').inputValue()).toBe('11:00')
      expect(await page.getByLabel('Sted').inputValue()).toBe(String(library))
      expect(await noSidewaysScroll(page)).toBe(true)
      expect(await axeViolations(page)).toEqual([])
      await page.screenshot({ path: join(screenshots, `staff-planning-clash-${width}.png`), fullPage: true })
      await warning.screenshot({ path: join(screenshots, `staff-planning-clash-warning-${width}.png`) })

      // Ticked by keyboard, then created.
      await confirm.focus()
      await page.keyboard.press('Space')
      expect(await confirm.isChecked()).toBe(true)
      await page.getByRole('button', { name: 'Opret hold' }).click()
      await page.waitForURL(/\/personale\/hold\/\d+\?oprettet=1$/)
      await context.close()
    })

    it(`filters the overview by place, course and period, and shows past classes, at ${width} px`, { timeout: 120_000 }, async () => {
      const context = await browser.newContext({ viewport: { width, height: 900 } })
      context.setDefaultTimeout(15_000)
      const page = await context.newPage()
      await signInInBrowser(page, t.base, leader.email, leader.password)
      await page.goto(`${t.base}/personale`)

      const form = page.getByRole('search', { name: 'Find hold' })
      for (const selector of ['#f-sted', '#f-kursus', '#f-fra', '#f-til', '#f-vis-tidligere']) expect(await fullyVisible(page, selector)).toBe(true)
      await form.getByLabel('Sted').selectOption(String(branch))
      await form.getByLabel('Kursus').selectOption('mitid-kom-godt-i-gang')
      await form.getByLabel('Fra dato').fill('2031-03-01')
      await form.getByLabel('Til dato').fill('2031-03-31')
      await form.getByRole('button', { name: 'Vis hold' }).click()
      await page.waitForURL(/sted=\d+&kursus=mitid-kom-godt-i-gang&fra=2031-03-01&til=2031-03-31&vis=kommende/)

      const rows = page.locator('table.data-table tbody tr')
      expect(await rows.count()).toBe(1)
      expect(await rows.first().textContent()).toContain('Filial Nord')
      expect(await page.locator('#f-sted').inputValue()).toBe(String(branch))
      expect(await page.locator('#f-fra').inputValue()).toBe('2031-03-01')
      expect(await page.locator('#f-til').inputValue()).toBe('2031-03-31')
      expect(await noSidewaysScroll(page)).toBe(true)
      expect(await axeViolations(page)).toEqual([])
      await page.screenshot({ path: join(screenshots, `staff-planning-overview-${width}.png`), fullPage: true })
      await page.locator('main').screenshot({ path: join(screenshots, `staff-planning-overview-main-${width}.png`) })

      await page.getByLabel('Tidligere hold').check()
      await page.getByRole('button', { name: 'Vis hold' }).click()
      await page.waitForURL(/vis=tidligere/)
      expect(await page.locator('h2#kommende').textContent()).toContain('Tidligere hold')
      expect(await page.getByLabel('Tidligere hold').isChecked()).toBe(true)
      await context.close()
    })
  }

  it('shows the staff clash, the copy form, the cancelled participants and the call list cleanly at 390, 820 and 1280 px', { timeout: 120_000 }, async () => {
    for (const width of [390, 820, 1280]) {
      const context = await browser.newContext({ viewport: { width, height: 900 } })
      context.setDefaultTimeout(15_000)
      const page = await context.newPage()
      await signInInBrowser(page, t.base, leader.email, leader.password)

      await page.goto(`${t.base}/personale/hold/${busyClass}`)
      expect(await page.locator('.staff-clash').textContent()).toContain('er også sat på')
      expect(await fullyVisible(page, '#f-copy-weeks')).toBe(true)
      expect(await axeViolations(page)).toEqual([])
      await page.screenshot({ path: join(screenshots, `staff-planning-class-${width}.png`), fullPage: true })
      await page.locator('.staff-clash').screenshot({ path: join(screenshots, `staff-planning-staff-clash-${width}.png`) })
      await page.locator('.copy-form').screenshot({ path: join(screenshots, `staff-planning-copy-form-${width}.png`) })

      await page.getByLabel('Flyt alle mødegange frem (antal uger)').fill('12')
      await page.getByRole('button', { name: 'Kopiér holdet' }).click()
      await page.waitForURL(/kopi=\d+&uger=12/)
      expect(await page.locator('#f-meeting-date-1').inputValue()).toBe('2031-06-24')
      expect(await axeViolations(page)).toEqual([])
      await page.screenshot({ path: join(screenshots, `staff-planning-copy-${width}.png`), fullPage: true })

      await page.goto(`${t.base}/personale/hold/${cancelled}`)
      expect(await page.locator('#deltagere ~ .table-wrap').textContent()).toContain('Afmeldt af arrangøren')
      expect(await axeViolations(page)).toEqual([])
      await page.screenshot({ path: join(screenshots, `staff-planning-cancelled-${width}.png`), fullPage: true })
      await page.locator('#deltagere ~ .table-wrap').screenshot({ path: join(screenshots, `staff-planning-cancelled-table-${width}.png`) })

      await page.goto(`${t.base}/personale/ringeliste?dag=2031-05-04`)
      expect(await page.locator('main').textContent()).toContain('Holdet er aflyst – ring og sig det')
      expect(await axeViolations(page)).toEqual([])
      await page.screenshot({ path: join(screenshots, `staff-planning-call-list-${width}.png`), fullPage: true })
      await page.locator('main').screenshot({ path: join(screenshots, `staff-planning-call-list-main-${width}.png`) })
      await context.close()
    }
  })

  it.runIf(layoutCheckRuns)('has no layout problems at 390, 820 and 1280 px wide on any page the tests showed', { timeout: 240_000 }, async () => {
    expect(await layout.problems()).toEqual({})
  })
})
