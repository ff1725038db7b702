/// <reference lib="dom" />
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStaff } from '../helpers/factories.ts'
import { type TestApp } from '../helpers/http.ts'
import { seedReportData } from '../helpers/report-data.ts'
import { axeViolations, chromiumOrSkip, launchChromium, layoutCheckRuns, LayoutWatch, noSidewaysScroll, signInInBrowser, startTestServer } from './browser.ts'

const run = chromiumOrSkip()
const screenshots = join(import.meta.dirname, 'screenshots')

describe.skipIf(!run)('reports and personal data in a real browser', () => {
  let t: TestApp & { base: string }
  let browser: Browser
  const layout = new LayoutWatch()
  let annaId: number

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true })
    t = await startTestServer()
    await seedReportData(t.db)
    annaId = (await t.db.selectFrom('participants').select('id').where('name', '=', 'Anna').executeTakeFirstOrThrow()).id
    await createStaff(t.db, 'admin', 'ada@bib.dk', 'adas lange adgangskode')
    browser = await launchChromium()
    layout.watch(browser)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.app.close()
  })

  it('the report, the personal-data pages and the citizen texts: zero axe-core violations, readable at 200 % zoom', { timeout: 180_000 }, async () => {
    const found: Record<string, string[]> = {}
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    context.setDefaultTimeout(15_000)
    const page = await context.newPage()
    await signInInBrowser(page, t.base, 'ada@bib.dk', 'adas lange adgangskode')
    await page.getByRole('link', { name: 'Rapporter' }).click()
    await page.getByLabel('Fra').fill('2025-01-01')
    await page.getByLabel('Til og med').fill('2025-12-31')
    await page.getByRole('button', { name: 'Vis' }).click()
    await page.waitForURL(/fra=2025-01-01/)
    expect(await page.locator('#t-emne').textContent()).toBe('Fremmøde pr. emne')
    expect(await page.locator('svg.chart').count()).toBe(6)
    // Every label, value and title inside its chart, as the browser draws it (the server only estimates widths).
    const outside = await page.locator('svg.chart').evaluateAll(charts => charts.flatMap(chart => {
      const box = chart.getBoundingClientRect()
      return [...chart.querySelectorAll('text')].filter(text => {
        const r = text.getBoundingClientRect()
        return r.left < box.left || r.right > box.right || r.top < box.top || r.bottom > box.bottom
      }).map(text => text.textContent)
    }))
    expect(outside).toEqual([])
    // The no-show and refill tables are on the page the axe check reads.
    expect(await page.locator('#t-udeblevet-maaned').textContent()).toBe('Udeblevne pr. måned')
    expect(await page.locator('#t-genbesat').textContent()).toBe('Afmeldte pladser besat igen')
    found.report = await axeViolations(page)
    await page.locator('section[aria-labelledby="t-alder"]').screenshot({ path: join(screenshots, 'staff-report-chart.png') })
    await page.screenshot({ path: join(screenshots, 'staff-report-desktop.png'), fullPage: true })
    await page.emulateMedia({ media: 'print' })
    await page.screenshot({ path: join(screenshots, 'staff-report-print.png'), fullPage: true })
    await page.emulateMedia({ media: 'screen' })

    for (const [name, path] of [['privacyStatus', '/personale/persondata'], ['export', `/personale/deltagere/${annaId}/eksport`], ['participant', `/personale/deltagere/${annaId}`]] as const) {
      await page.goto(`${t.base}${path}`)
      found[name] = await axeViolations(page)
      await page.screenshot({ path: join(screenshots, `staff-${name}.png`), fullPage: true })
    }

    // 200 % zoom: a 1280 px window shown as 640 px.
    const zoomed = await browser.newContext({ viewport: { width: 640, height: 450 }, deviceScaleFactor: 2 })
    const citizen = await zoomed.newPage()
    for (const [name, path] of [['privacy', '/privatliv'], ['accessibility', '/tilgaengelighed']] as const) {
      await citizen.goto(`${t.base}${path}`)
      found[name] = await axeViolations(citizen)
      expect(await noSidewaysScroll(citizen), name).toBe(true)
      await citizen.screenshot({ path: join(screenshots, `citizen-${name}.png`), fullPage: true })
    }
    await zoomed.close()
    const phone = await context.browser()?.newContext({ viewport: { width: 375, height: 740 } })
    const small = await phone!.newPage()
    await signInInBrowser(small, t.base, 'ada@bib.dk', 'adas lange adgangskode')
    await small.goto(`${t.base}/personale/rapporter?fra=2025-01-01&til=2025-12-31`)
    await small.screenshot({ path: join(screenshots, 'staff-report-phone.png'), fullPage: true })
    found.reportPhone = await axeViolations(small)
    await phone!.close()
    await context.close()
    expect(found).toEqual(Object.fromEntries(Object.keys(found).map(k => [k, []])))
  })

  it.runIf(layoutCheckRuns)('has no layout problems at 390, 820 and 1280 px wide on any page the tests showed', { timeout: 180_000 }, async () => {
    expect(await layout.problems()).toEqual({})
  })
})
