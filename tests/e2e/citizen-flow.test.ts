/// <reference lib="dom" />
// A citizen's whole journey in a real Chromium: keyboard-only booking and cancelling,
// axe-core WCAG 2.1 A/AA on every citizen page, visible focus, screenshots at phone,
// tablet and desktop sizes, and 200 % zoom without sideways scrolling.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClass, createLocation } from '../helpers/factories.ts'
import { submitBooking, type TestApp, tokenFrom } from '../helpers/http.ts'
import { chromiumOrSkip, launchChromium, layoutCheckRuns, LayoutWatch, startTestServer } from './browser.ts'

const suite = chromiumOrSkip() ? describe : describe.skip

const screenshotDir = join(import.meta.dirname, 'screenshots')
const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  tablet: { width: 820, height: 1180 },
  desktop: { width: 1366, height: 900 }
} as const
/** What a 1280 px wide window looks like at 200 % browser zoom. */
const ZOOM_200 = { width: 640, height: 450 }
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']

async function isFocused (locator: Locator): Promise<boolean> {
  return await locator.evaluate(el => el === document.activeElement)
}

/** Presses Tab (a bounded number of times) until `target` has focus, as a keyboard user would. */
async function tabTo (page: Page, target: Locator, max = 100): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab')
    if (await isFocused(target)) return
  }
  const active = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200))
  throw new Error(`could not reach ${target.toString()} with ${max} presses of Tab; focus is on ${active}`)
}

/** Presses Tab once and checks that focus landed on `target`. */
async function tabOnceTo (page: Page, target: Locator): Promise<void> {
  await page.keyboard.press('Tab')
  const active = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200))
  expect(await isFocused(target), `Tab should move to ${target.toString()}, but focus is on ${active}`).toBe(true)
}

interface AxeFinding { id: string, impact: string | null | undefined, help: string, helpUrl: string, targets: string[] }

async function axeViolations (page: Page): Promise<AxeFinding[]> {
  const result = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze()
  return result.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    targets: v.nodes.map(n => `${n.target.join(' ')}  ${n.failureSummary?.replace(/\s+/g, ' ') ?? ''}`)
  }))
}

function formatFindings (findings: Record<string, AxeFinding[]>): string {
  return Object.entries(findings).filter(([, list]) => list.length > 0).map(([name, list]) =>
    `${name}:\n` + list.map(v => `  - ${v.id} (${v.impact ?? '?'}): ${v.help} <${v.helpUrl}>\n` + v.targets.map(t => `      at ${t}`).join('\n')).join('\n')
  ).join('\n')
}

suite('citizen flow in a real browser (Chromium)', { timeout: 120_000 }, () => {
  let t: TestApp & { base: string }
  let base: string
  let browser: Browser
  const layout = new LayoutWatch()
  let context: BrowserContext
  let page: Page
  /** MitID course at the main library, plenty of seats. */
  let openClass: number
  /** Digital Post course in a club, one seat, already taken. */
  let fullClass: number
  /** A class for the axe and screenshot bookings, so the keyboard flow's class keeps its seats. */
  let spareClass: number

  beforeAll(async () => {
    mkdirSync(screenshotDir, { recursive: true })
    t = await startTestServer()
    base = t.base

    const library = await createLocation(t.db, { name: 'Hovedbiblioteket', street: 'Tobaksgården 12', room: 'Mødelokale 2, 1. sal' })
    const club = await createLocation(t.db, { name: 'Seniorklubben Solsikken', kind: 'club', street: 'Fælledvej 3', step_free: 0, hearing_loop: 0 })
    openClass = await createClass(t.db, { course: 'mitid-kom-godt-i-gang', locationId: library, capacity: 12, meetings: ['2030-03-05T10:00', '2030-03-12T10:00'] })
    fullClass = await createClass(t.db, { course: 'digital-post-laes-og-svar', locationId: club, capacity: 1, meetings: ['2030-03-07T13:30'] })
    spareClass = await createClass(t.db, { course: 'borger-dk-selvbetjening', locationId: library, capacity: 50, meetings: ['2030-04-02T09:30'] })
    const taken = await submitBooking(t.app, fullClass, { name: 'Bent Madsen', phone: '20 20 20 20' })
    expect(taken.status).toBe(303)

    browser = await launchChromium()
    layout.watch(browser)
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'da-DK' })
    context.setDefaultTimeout(15_000)
    page = await context.newPage()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.app.close()
  })

  it('books a seat for someone else with the keyboard alone, gets the calendar file, and cancels', async () => {
    await page.goto(`${base}/`)
    expect(await page.locator('h1').textContent()).toBe('Kommende hold')

    // Narrow the list with the filter form: Emne = MitID, by keyboard.
    const topic = page.getByLabel('Emne', { exact: true })
    await tabTo(page, topic)
    await page.keyboard.type('MitID')
    expect(await topic.inputValue()).toBe('mitid')
    await tabOnceTo(page, page.getByLabel('Sted', { exact: true }))
    await tabOnceTo(page, page.getByRole('button', { name: 'Vis hold' }))
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/\?emne=mitid/)
    expect(await page.locator('.class-list > li').count()).toBe(1)

    // To the class, by keyboard.
    await tabTo(page, page.locator(`.class-card-title a[href="/hold/${openClass}"]`))
    await page.keyboard.press('Enter')
    await page.waitForURL(new RegExp(`/hold/${openClass}$`))
    expect(await page.locator('h1').textContent()).toBe('Kom godt i gang med MitID')

    // First the form asks whom the booking is for: Søren's daughter Mette books for him.
    // Every field is found by its label; Tab moves from one to the next in reading order.
    const forSelf = page.getByLabel('Mig selv', { exact: true })
    await tabTo(page, forSelf)
    expect(await forSelf.isChecked()).toBe(true)
    expect(await page.getByLabel('Telefonnummer', { exact: true }).isVisible()).toBe(true)
    expect(await page.getByLabel('Dit navn', { exact: true }).isVisible()).toBe(false)
    await page.keyboard.press('ArrowDown')
    expect(await page.getByLabel('En anden, fx min mor, far eller en nabo').isChecked()).toBe(true)
    // From then on the fields say whose details they want.
    await tabOnceTo(page, page.getByLabel('Deltagerens navn', { exact: true }))
    await page.keyboard.type('Søren Ærø')
    await tabOnceTo(page, page.getByLabel('Deltagerens telefonnummer', { exact: true }))
    await page.keyboard.type('12 34 56 78')
    await tabOnceTo(page, page.getByLabel('Deltagerens e-mail', { exact: true }))
    await page.keyboard.type('soren@example.dk')
    await tabOnceTo(page, page.getByLabel('Deltagerens fødselsår (valgfrit)', { exact: true }))
    await page.keyboard.type('1947')
    await tabOnceTo(page, page.getByLabel('Deltageren har en hjælper eller ledsager med, som skal have en stol'))
    const hearingLoop = page.getByLabel('Deltageren bruger høreapparat og har brug for teleslynge')
    await tabOnceTo(page, hearingLoop)
    await page.keyboard.press('Space')
    expect(await hearingLoop.isChecked()).toBe(true)
    await tabOnceTo(page, page.getByLabel('Andet, vi skal vide (valgfrit)', { exact: true }))
    await page.keyboard.type('Jeg bruger rollator.')

    expect(await page.getByLabel('Dit navn', { exact: true }).isVisible()).toBe(true)
    await tabOnceTo(page, page.getByLabel('Dit navn', { exact: true }))
    await page.keyboard.type('Mette Ærø')
    await tabOnceTo(page, page.getByLabel('Dit telefonnummer', { exact: true }))
    await page.keyboard.type('87 65 43 21')
    await tabOnceTo(page, page.getByLabel('Din e-mail', { exact: true }))
    await page.keyboard.type('mette@example.dk')

    // May we text them both? The answer chosen ("Nej tak") is the group's one tab stop.
    expect(await page.getByRole('group', { name: 'Må vi sende sms til deltageren og dig før kurset?' }).isVisible()).toBe(true)
    await tabOnceTo(page, page.getByRole('radio', { name: 'Nej tak' }))
    expect(await page.getByRole('radio', { name: 'Ja, send os sms' }).isChecked()).toBe(false)

    // The honeypot is skipped; the next stop is the submit button.
    await tabOnceTo(page, page.getByRole('button', { name: 'Tilmeld', exact: true }))
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/tilmelding\/[^/?]+\?ny=1$/)
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Tak! Du har en plads')
    const main = await page.locator('main').innerText()
    expect(main).toContain('Søren Ærø')
    expect(main).toContain('Mette Ærø')
    expect(main).toContain('Har brug for teleslynge')
    expect(main).toContain('http://kurser.test/tilmelding/')

    // The calendar file.
    const calendar = page.getByRole('link', { name: 'Tilføj til kalenderen' })
    const icsHref = await calendar.getAttribute('href')
    expect(icsHref).toMatch(/^\/tilmelding\/[^/]+\/kalender\.ics$/)
    const ics = await page.request.get(new URL(icsHref as string, page.url()).href)
    expect(ics.status()).toBe(200)
    expect(ics.headers()['content-type']).toContain('text/calendar')
    const icsText = await ics.text()
    expect(icsText).toContain('BEGIN:VCALENDAR')
    expect(icsText).toContain('TZID=Europe/Copenhagen')
    expect(icsText).toContain('20300305T100000')
    expect(icsText).toContain('20300312T100000')

    // Cancel, by keyboard.
    await tabTo(page, page.getByRole('link', { name: 'Afmeld', exact: true }))
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/tilmelding\/[^/]+\/afmeld$/)
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Vil du afmelde dig?')
    const confirm = page.getByRole('button', { name: 'Ja, afmeld mig' })
    await tabTo(page, confirm)
    await page.keyboard.press('Space')
    await page.waitForURL(/\/tilmelding\/[^/?]+\?afmeldt=1$/)
    expect(await page.getByRole('status').innerText()).toContain('Du er nu afmeldt')
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Tilmeldingen er afmeldt')
    expect(await page.getByRole('link', { name: 'Afmeld', exact: true }).count()).toBe(0)
  })

  it('shows a visible focus indicator on every tab stop of the class page', async () => {
    await page.goto(`${base}/hold/${openClass}`)
    const seen: string[] = []
    const invisible: string[] = []
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab')
      const info = await page.evaluate(() => {
        const el = document.activeElement
        if (!el || el === document.body) return null
        // Tab wraps around to the first stop at the end of the page: stop there.
        const again = el.hasAttribute('data-focus-checked')
        el.setAttribute('data-focus-checked', '')
        const style = getComputedStyle(el)
        return {
          again,
          key: el.outerHTML.replace(' data-focus-checked=""', '').slice(0, 120),
          outlineWidth: style.outlineWidth,
          outlineStyle: style.outlineStyle,
          boxShadow: style.boxShadow
        }
      })
      if (!info || info.again) break
      seen.push(info.key)
      if (i === 0) {
        // The first tab stop, the skip link: the focus ring the brief asks about.
        expect(info.outlineWidth).not.toBe('0px')
      }
      const outlined = info.outlineStyle !== 'none' && info.outlineWidth !== '0px'
      const shadowed = info.boxShadow !== 'none' && info.boxShadow !== ''
      if (!outlined && !shadowed) invisible.push(`${info.key} (outline ${info.outlineWidth} ${info.outlineStyle}, box-shadow ${info.boxShadow})`)
    }
    expect(seen.length).toBeGreaterThan(10)
    expect(invisible, `elements without a visible focus indicator:\n${invisible.join('\n')}`).toEqual([])
  })

  it('has zero axe-core WCAG 2.1 A/AA violations on every page a citizen sees', async () => {
    const findings: Record<string, AxeFinding[]> = {}
    const check = async (name: string) => { findings[name] = await axeViolations(page) }

    await page.goto(`${base}/`)
    await check('catalogue /')
    await page.goto(`${base}/?emne=mitid`)
    await check('filtered catalogue /?emne=mitid')
    await page.goto(`${base}/kurser`)
    await check('all courses /kurser')
    await page.goto(`${base}/kurser/mitid-kom-godt-i-gang`)
    await check('course page')
    await page.goto(`${base}/hold/${spareClass}`)
    await check('class page')
    await page.goto(`${base}/hold/${fullClass}`)
    await check('full class page')

    // The booking form, submitted empty.
    await page.goto(`${base}/hold/${spareClass}`)
    const [response] = await Promise.all([
      page.waitForResponse(r => r.request().method() === 'POST' && r.url().endsWith(`/hold/${spareClass}/tilmeld`)),
      page.getByRole('button', { name: 'Tilmeld', exact: true }).click()
    ])
    expect(response.status()).toBe(400)
    await page.waitForLoadState('load')
    const summary = page.getByRole('alert')
    expect(await summary.innerText()).toMatch(/Der er \d+ ting, du skal rette/)
    expect(await page.locator('.form-error-message').count()).toBeGreaterThan(0)
    await check('booking error page (400)')

    // A confirmed booking, then its cancel page and the cancelled booking.
    await page.getByLabel('Navn', { exact: true }).fill('Hans Holm')
    await page.getByLabel('Telefonnummer', { exact: true }).fill('31 31 31 31')
    await page.getByRole('button', { name: 'Tilmeld', exact: true }).click()
    await page.waitForURL(/\?ny=1$/)
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Tak! Du har en plads')
    await check('confirmation page')
    await page.getByRole('link', { name: 'Afmeld', exact: true }).click()
    await page.waitForURL(/\/afmeld$/)
    await check('cancel page')
    await page.getByRole('button', { name: 'Ja, afmeld mig' }).click()
    await page.waitForURL(/\?afmeldt=1$/)
    await check('cancelled booking page')

    // The waiting list.
    await page.goto(`${base}/hold/${fullClass}`)
    await page.getByLabel('Navn', { exact: true }).fill('Inger Lund')
    await page.getByLabel('E-mail', { exact: true }).fill('inger@example.dk')
    await page.getByRole('button', { name: 'Skriv mig på ventelisten' }).click()
    await page.waitForURL(/\?ny=1$/)
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Du er på ventelisten')
    await check('waitlist confirmation page')

    // Not found.
    const notFound = await page.goto(`${base}/findes-ikke`)
    expect(notFound?.status()).toBe(404)
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Siden findes ikke')
    await check('404 page')

    const report = formatFindings(findings)
    if (report !== '') console.error(`axe-core WCAG 2.1 A/AA violations:\n${report}`)
    expect(Object.keys(findings)).toHaveLength(12)
    expect(report, report).toBe('')
  })

  it('takes screenshots at phone, tablet and desktop sizes', async () => {
    // One booking per page state, made outside the browser; the pages are only looked at.
    const booked = await submitBooking(t.app, spareClass, { name: 'Karen Margrethe Østergaard-Christiansen', phone: '40 40 40 40', email: 'karen.margrethe.oestergaard@example.dk' })
    expect(booked.status).toBe(303)
    const confirmation = `/tilmelding/${tokenFrom(booked.headers.location)}?ny=1`

    for (const [size, viewport] of Object.entries(VIEWPORTS)) {
      const ctx = await browser.newContext({ viewport, locale: 'da-DK' })
      const p = await ctx.newPage()
      const shoot = async (name: string) => {
        await p.screenshot({ path: join(screenshotDir, `flow-${name}-${size}.png`), fullPage: true })
      }
      await p.goto(`${base}/`)
      await shoot('catalogue')
      await p.goto(`${base}/hold/${openClass}`)
      await shoot('class')
      await p.getByRole('button', { name: 'Tilmeld', exact: true }).click()
      await p.waitForLoadState('load')
      expect(await p.getByRole('alert').isVisible()).toBe(true)
      // The page is scrolled to the error summary; start the screenshot from the top.
      await p.evaluate(() => window.scrollTo(0, 0))
      await shoot('booking-error')
      await p.goto(`${base}${confirmation}`)
      await shoot('confirmation')
      await p.goto(`${base}/findes-ikke`)
      await shoot('404')
      await ctx.close()
    }
  })

  it('needs no sideways scrolling at 200 % zoom (a 1280 px window shown as 640 × 450)', async () => {
    const ctx = await browser.newContext({ viewport: ZOOM_200, deviceScaleFactor: 1, locale: 'da-DK' })
    const p = await ctx.newPage()
    const overflow: Record<string, number> = {}
    for (const [name, path] of Object.entries({ catalogue: '/', class: `/hold/${openClass}`, fullClass: `/hold/${fullClass}` })) {
      await p.goto(`${base}${path}`)
      const { scrollWidth, innerWidth } = await p.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }))
      overflow[name] = scrollWidth - innerWidth
      await p.screenshot({ path: join(screenshotDir, `flow-${name}-zoom200.png`), fullPage: true })
    }
    await ctx.close()
    for (const [name, px] of Object.entries(overflow)) {
      expect(px, `${name} scrolls sideways by ${px}px at 200 % zoom`).toBeLessThanOrEqual(1)
    }
  })

  it.runIf(layoutCheckRuns)('has no layout problems at 390, 820 and 1280 px wide on any page the tests showed', { timeout: 180_000 }, async () => {
    expect(await layout.problems()).toEqual({})
  })
})
