/// <reference lib="dom" />
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bookSeat } from '../../server/services/booking-service.ts'
import { bookingInput, createClassToday, createStaff, type TestApp } from '../helpers/app.ts'
import { axeViolations, chromiumOrSkip, launchChromium, noSidewaysScroll, signInInBrowser, startTestServer } from './browser.ts'

const run = chromiumOrSkip()
const screenshots = join(import.meta.dirname, 'screenshots')
const widths = [390, 820, 1280]

describe.skipIf(!run)('a newcomer and a leader in a real browser', () => {
  let t: TestApp & { base: string }
  let browser: Browser

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true })
    t = await startTestServer()
    browser = await launchChromium()
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
    for (const name of ['Grethe Hansen', 'Bent Olsen']) await bookSeat(t.db, classId, bookingInput({ name, phone: null, email: `${name.split(' ')[0]!.toLowerCase()}@example.dk` }), 'phone', earlier)
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
})
