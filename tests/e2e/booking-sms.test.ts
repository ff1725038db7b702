/// <reference lib="dom" />
// Texts from the citizen's side in a real Chromium: booking with a phone number only and
// a yes to texts, by keyboard alone; the booking page that says where texts go and turns
// them off; axe-core on the form and the page; the question inside its box on a phone.
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClass, createLocation } from '../helpers/factories.ts'
import { type TestApp } from '../helpers/http.ts'
import { axeViolations, chromiumOrSkip, launchChromium, layoutCheckRuns, layoutProblems, LayoutWatch, startTestServer } from './browser.ts'

const suite = chromiumOrSkip() ? describe : describe.skip

async function isFocused (locator: Locator): Promise<boolean> {
  return await locator.evaluate(el => el === document.activeElement)
}

/** Presses Tab once and checks that focus landed on `target`. */
async function tabOnceTo (page: Page, target: Locator): Promise<void> {
  await page.keyboard.press('Tab')
  const active = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200))
  expect(await isFocused(target), `Tab should move to ${target.toString()}, but focus is on ${active}`).toBe(true)
}

/** Presses Tab until `target` has focus, as a keyboard user would. */
async function tabTo (page: Page, target: Locator, max = 100): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab')
    if (await isFocused(target)) return
  }
  throw new Error(`could not reach ${target.toString()} with ${max} presses of Tab`)
}

suite('texts from the citizen\'s side in a real browser (Chromium)', { timeout: 120_000 }, () => {
  let t: TestApp & { base: string }
  let browser: Browser
  const layout = new LayoutWatch()
  let context: BrowserContext
  let page: Page
  let classId: number

  beforeAll(async () => {
    t = await startTestServer()
    const library = await createLocation(t.db, { name: 'Hovedbiblioteket', street: 'Tobaksgården 12', room: 'Mødelokale 2, 1. sal' })
    classId = await createClass(t.db, { course: 'mitid-kom-godt-i-gang', locationId: library, capacity: 12, meetings: ['2030-03-05T10:00', '2030-03-12T10:00'] })
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

  it('books with a phone number only and a yes to texts by keyboard alone, then sees on the booking page where texts go and turns them off', async () => {
    await page.goto(`${t.base}/hold/${classId}`)
    expect(await axeViolations(page)).toEqual([])

    await tabTo(page, page.getByLabel('Mig selv', { exact: true }))
    await tabOnceTo(page, page.getByLabel('Navn', { exact: true }))
    await page.keyboard.type('Inger Lund')
    await tabOnceTo(page, page.getByLabel('Telefonnummer', { exact: true }))
    await page.keyboard.type('22 33 44 55')
    await tabOnceTo(page, page.getByLabel('E-mail', { exact: true }))
    await tabOnceTo(page, page.getByLabel('Fødselsår (valgfrit)', { exact: true }))
    await tabOnceTo(page, page.getByLabel('Jeg har en hjælper eller ledsager med, som skal have en stol'))
    await tabOnceTo(page, page.getByLabel('Jeg bruger høreapparat og har brug for teleslynge'))
    await tabOnceTo(page, page.getByLabel('Andet, vi skal vide (valgfrit)', { exact: true }))

    // The question about texts: one tab stop, on the answer chosen ("Nej tak"); the arrow
    // keys choose. Its group is named by the question and described by the hint.
    const no = page.getByRole('radio', { name: 'Nej tak' })
    const yes = page.getByRole('radio', { name: 'Ja, send mig sms' })
    await tabOnceTo(page, no)
    expect(await no.isChecked()).toBe(true)
    const group = page.getByRole('group', { name: 'Må vi sende dig en sms før kurset?' })
    expect(await group.getAttribute('aria-describedby')).toBe('f-sms-consent-hint')
    expect(await page.locator('#f-sms-consent-hint').innerText()).toContain('Svar STOP på en sms, så stopper de.')
    await page.keyboard.press('ArrowUp')
    expect(await yes.isChecked()).toBe(true)
    expect(await isFocused(yes)).toBe(true)

    await tabOnceTo(page, page.getByRole('button', { name: 'Tilmeld', exact: true }))
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/tilmelding\/[^/?]+\?ny=1$/)
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Tak! Du har en plads')
    const main = await page.locator('main').innerText()
    expect(main).toContain('Vi sender en bekræftelse og en påmindelse, før holdet begynder: på sms til 22 33 44 55.')
    const ways = page.getByRole('region', { name: 'Sådan får du besked' })
    expect(await ways.innerText()).toContain('Vi sender sms til 22 33 44 55.')
    expect(await axeViolations(page)).toEqual([])

    const row = await t.db.selectFrom('bookings').select(['id', 'sms_consent', 'contact_email']).where('class_id', '=', classId).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ sms_consent: 1, contact_email: null })
    expect(await t.db.selectFrom('outbox').select(['channel', 'recipient']).where('booking_id', '=', row.id).execute()).toEqual([{ channel: 'sms', recipient: '4522334455' }])

    // Off again, by keyboard, from the page the private link opens.
    await tabTo(page, page.getByRole('button', { name: 'Send ikke flere sms om holdet' }))
    await page.keyboard.press('Enter')
    await page.waitForURL(/\?sms=gemt#sms$/)
    expect(await page.getByRole('status').innerText()).toContain('Gemt. Du får ikke flere sms om holdet.')
    expect(await page.getByRole('region', { name: 'Sådan får du besked' }).innerText()).toContain('Du får ikke sms.')
    expect(await page.getByRole('button', { name: 'Ja, send mig sms' }).isVisible()).toBe(true)
    expect(await axeViolations(page)).toEqual([])
  })

  it('shows the message next to the question when the answer is yes without a phone number, with no axe violations', async () => {
    await page.goto(`${t.base}/hold/${classId}`)
    await page.getByLabel('Navn', { exact: true }).fill('Karen Holm')
    await page.getByLabel('E-mail', { exact: true }).fill('karen@example.dk')
    await page.getByRole('radio', { name: 'Ja, send mig sms' }).check()
    await page.getByRole('button', { name: 'Tilmeld', exact: true }).click()
    await page.waitForLoadState('load')
    expect(await page.locator('#f-sms-consent-error').innerText()).toContain('Skriv dit mobilnummer, hvis du vil have sms.')
    expect(await page.getByRole('radio', { name: 'Ja, send mig sms' }).isChecked()).toBe(true)
    expect(await page.getByLabel('E-mail', { exact: true }).inputValue()).toBe('karen@example.dk')
    // The summary's link goes to the question's first answer.
    await page.getByRole('link', { name: 'Skriv dit mobilnummer, hvis du vil have sms.' }).click()
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-sms-consent')
    expect(await axeViolations(page)).toEqual([])
  })

  it('keeps the answers and the hint inside their box on a 390 px phone', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'da-DK' })
    const p = await ctx.newPage()
    await p.goto(`${t.base}/hold/${classId}`)
    const outside = await p.evaluate(() => {
      const box = document.querySelector('fieldset.sms-consent')?.getBoundingClientRect()
      if (!box) return ['no fieldset.sms-consent']
      const width = document.documentElement.clientWidth
      const parts = ['#f-sms-consent-hint', 'label[for="f-sms-consent"]', 'label[for="f-sms-consent-nej"]', '#f-sms-consent', '#f-sms-consent-nej']
      return parts.flatMap(selector => {
        const el = document.querySelector(selector)
        if (!el) return [`${selector} is missing`]
        const r = el.getBoundingClientRect()
        const inside = r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1 && r.right <= width + 1 && r.width > 0
        return inside ? [] : [`${selector} at (${r.left}, ${r.top})–(${r.right}, ${r.bottom}), its box (${box.left}, ${box.top})–(${box.right}, ${box.bottom}), window ${width}`]
      })
    })
    expect(outside).toEqual([])
    expect(await layoutProblems(p)).toEqual([])
    await ctx.close()
  })

  it.runIf(layoutCheckRuns)('has no layout problems at 390, 820 and 1280 px wide on any page the tests showed', { timeout: 180_000 }, async () => {
    expect(await layout.problems()).toEqual({})
  })
})
