/// <reference lib="dom" />
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bookSeat } from '../../server/services/booking-service.ts'
import { bookingInput, createClass, createLocation } from '../helpers/factories.ts'
import { type TestApp } from '../helpers/http.ts'
import { chromiumOrSkip, launchChromium, layoutCheckRuns, LayoutWatch, startTestServer } from './browser.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

const run = chromiumOrSkip()
const screenshots = join(import.meta.dirname, 'screenshots')

describe.skipIf(!run)('a citizen in a real browser', () => {
  let t: TestApp & { base: string }
  let browser: Browser
  const layout = new LayoutWatch()
  let context: BrowserContext
  let page: Page
  let openClass: number
  let fullClass: number

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true })
    t = await startTestServer()
    const library = await createLocation(t.db, { name: 'Hovedbiblioteket', street: 'Tobaksgården 12', room: 'Mødelokale 2, 1. sal' })
    const club = await createLocation(t.db, { name: 'Seniorklubben Solsikken', kind: 'club', street: 'Fælledvej 3', step_free: 0, hearing_loop: 0 })
    openClass = await createClass(t.db, { course: 'mitid-kom-godt-i-gang', locationId: library, capacity: 12, meetings: ['2030-03-05T10:00', '2030-03-12T10:00'] })
    fullClass = await createClass(t.db, { course: 'digital-post-laes-og-svar', locationId: club, capacity: 1, meetings: ['2030-03-07T13:30'] })
    await bookSeat(t.db, CITIZEN, fullClass, bookingInput({ name: 'Bent Madsen', phone: '+4520202020' }), { source: 'online' })
    browser = await launchChromium()
    layout.watch(browser)
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    context.setDefaultTimeout(10_000)
    page = await context.newPage()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.app.close()
  })

  it('shows errors next to the fields, keeps the values, and moves focus to the summary', async () => {
    await page.goto(`${t.base}/hold/${openClass}`)
    await page.getByLabel('Telefonnummer', { exact: true }).fill('1234')
    await page.getByRole('button', { name: 'Tilmeld' }).click()
    await page.waitForLoadState('load')
    expect(await page.locator('#fejl').isVisible()).toBe(true)
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('fejl')
    expect(await page.getByLabel('Telefonnummer', { exact: true }).inputValue()).toBe('1234')
    expect(await page.locator('#f-name-error').textContent()).toContain('Skriv dit navn.')
    await page.getByRole('link', { name: /Skriv dit navn/ }).click()
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-name')
  })

  it('works at phone, tablet and desktop sizes and at 200 % zoom without sideways scrolling', { timeout: 120_000 }, async () => {
    const sizes = { phone: { width: 390, height: 844 }, tablet: { width: 820, height: 1180 }, desktop: { width: 1366, height: 900 }, zoom200: { width: 640, height: 450 } }
    for (const [size, viewport] of Object.entries(sizes)) {
      const ctx = await browser.newContext({ viewport })
      const p = await ctx.newPage()
      for (const [name, path] of Object.entries({ catalogue: '/', class: `/hold/${fullClass}`, course: '/kurser/mitid-kom-godt-i-gang', notFound: '/findes-ikke' })) {
        await p.goto(`${t.base}${path}`)
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
        expect(overflow, `${name} at ${size}`).toBeLessThanOrEqual(1)
        await p.screenshot({ path: join(screenshots, `${name}-${size}.png`), fullPage: true })
      }
      await ctx.close()
    }
  })

  it.runIf(layoutCheckRuns)('has no layout problems at 390, 820 and 1280 px wide on any page the tests showed', { timeout: 180_000 }, async () => {
    expect(await layout.problems()).toEqual({})
  })
})
