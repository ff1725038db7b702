/// <reference lib="dom" />
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bookSeat } from '../../server/services/booking-service.ts'
import { createClass, createLocation, type TestApp } from '../helpers/app.ts'
import { chromiumOrSkip, launchChromium, startTestServer } from './browser.ts'

const run = chromiumOrSkip()
const screenshots = join(import.meta.dirname, 'screenshots')

/** Presses Tab until the focused element matches, as a keyboard user would. */
async function tabTo (page: Page, matches: (el: Element) => boolean, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab')
    if (await page.evaluate(`(${matches.toString()})(document.activeElement)`)) return
  }
  throw new Error('could not reach the element with the Tab key')
}

async function axeViolations (page: Page) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  return result.violations.map(v => `${v.id}: ${v.help} — ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)
}

describe.skipIf(!run)('a citizen in a real browser', () => {
  let t: TestApp & { base: string }
  let browser: Browser
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
    await bookSeat(t.db, fullClass, { name: 'Bent Madsen', phone: '+4520202020', email: null, birthYear: null, needsCompanion: false, needsHearingLoop: false, needsOther: null, booker: null }, 'online')
    browser = await launchChromium()
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    context.setDefaultTimeout(10_000)
    page = await context.newPage()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.app.close()
  })

  it('books a seat with the keyboard alone, adds it to the calendar and cancels it', { timeout: 90_000 }, async () => {
    await page.goto(`${t.base}/`)
    await tabTo(page, el => el.tagName === 'A' && (el as HTMLAnchorElement).pathname.startsWith('/hold/') && el.textContent?.includes('Kom godt i gang med MitID') === true)
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/hold\/\d+$/)
    expect(await page.locator('h1').textContent()).toBe('Kom godt i gang med MitID')

    // Each field is found by its label and filled by typing.
    await page.getByLabel('Navn', { exact: true }).focus()
    await page.keyboard.type('Søren Ærø')
    await page.keyboard.press('Tab')
    await page.keyboard.type('12 34 56 78')
    expect(await page.getByLabel('Telefonnummer', { exact: true }).inputValue()).toBe('12 34 56 78')
    await page.getByLabel('E-mail', { exact: true }).focus()
    await page.keyboard.type('soren@example.dk')
    await page.getByLabel('Fødselsår (valgfrit)').focus()
    await page.keyboard.type('1947')
    await page.getByLabel('Jeg bruger høreapparat og har brug for teleslynge').focus()
    await page.keyboard.press('Space')
    expect(await page.getByLabel('Jeg bruger høreapparat og har brug for teleslynge').isChecked()).toBe(true)
    await tabTo(page, el => el.tagName === 'BUTTON' && el.textContent?.trim() === 'Tilmeld')
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/tilmelding\/[^/]+\?ny=1$/)
    expect(await page.locator('h1').textContent()).toBe('Tak! Du har en plads')
    expect(await page.locator('main').textContent()).toContain('Søren Ærø')

    const icsHref = await page.getByRole('link', { name: 'Tilføj til kalenderen' }).getAttribute('href')
    const ics = await page.request.get(`${t.base}${icsHref}`)
    expect(ics.status()).toBe(200)
    const text = await ics.text()
    expect(text).toContain('BEGIN:VCALENDAR')
    expect(text).toContain('DTSTART;TZID=Europe/Copenhagen:20300305T100000')
    await tabTo(page, el => el.tagName === 'A' && el.textContent?.trim() === 'Afmeld')
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/afmeld$/)
    expect(await page.locator('h1').textContent()).toBe('Vil du afmelde dig?')
    await tabTo(page, el => el.tagName === 'BUTTON' && el.textContent?.trim() === 'Ja, afmeld mig')
    await page.keyboard.press('Enter')
    await page.waitForURL(/\?afmeldt=1$/)
    expect(await page.locator('main').textContent()).toContain('Du er nu afmeldt')
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

  it('shows a visible focus outline', async () => {
    await page.goto(`${t.base}/hold/${openClass}`)
    await tabTo(page, el => el.tagName === 'A' && el.getAttribute('href') === '/kurser')
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineWidth)
    expect(outline).not.toBe('0px')
  })

  it('has zero axe-core WCAG 2.1 A/AA violations on every citizen page', { timeout: 120_000 }, async () => {
    const pages: Record<string, string> = {
      catalogue: '/',
      filtered: `/?emne=mitid&sted=${1}`,
      courses: '/kurser',
      course: '/kurser/mitid-kom-godt-i-gang',
      class: `/hold/${openClass}`,
      fullClass: `/hold/${fullClass}`,
      notFound: '/findes-ikke'
    }
    const results: Record<string, string[]> = {}
    for (const [name, path] of Object.entries(pages)) {
      await page.goto(`${t.base}${path}`)
      results[name] = await axeViolations(page)
    }

    await page.goto(`${t.base}/hold/${openClass}`)
    await page.getByRole('button', { name: 'Tilmeld' }).click()
    await page.waitForLoadState('load')
    results.bookingError = await axeViolations(page)

    await page.goto(`${t.base}/hold/${fullClass}`)
    await page.getByLabel('Navn', { exact: true }).fill('Inger Lund')
    await page.getByLabel('E-mail', { exact: true }).fill('inger@example.dk')
    await page.getByRole('button', { name: 'Skriv mig på ventelisten' }).click()
    await page.waitForURL(/\?ny=1$/)
    expect(await page.locator('h1').textContent()).toBe('Du er på ventelisten')
    results.waitlistConfirmation = await axeViolations(page)

    await page.goto(`${t.base}/hold/${openClass}`)
    await page.getByLabel('Navn', { exact: true }).fill('Hans Holm')
    await page.getByLabel('Telefonnummer', { exact: true }).fill('31313131')
    await page.getByRole('button', { name: 'Tilmeld' }).click()
    await page.waitForURL(/\?ny=1$/)
    results.confirmation = await axeViolations(page)
    await page.getByRole('link', { name: 'Afmeld' }).click()
    results.cancel = await axeViolations(page)
    await page.getByRole('button', { name: 'Ja, afmeld mig' }).click()
    await page.waitForURL(/\?afmeldt=1$/)
    results.cancelled = await axeViolations(page)

    expect(Object.keys(results)).toHaveLength(12)
    expect(results).toEqual(Object.fromEntries(Object.keys(results).map(k => [k, []])))
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
})
