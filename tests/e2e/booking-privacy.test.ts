/// <reference lib="dom" />
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bookingInput, bookNew, createClass, createStaff } from '../helpers/factories.ts'
import { submitBooking, type TestApp } from '../helpers/http.ts'
import { axeViolations, chromiumOrSkip, launchChromium, layoutCheckRuns, LayoutWatch, noSidewaysScroll, signInInBrowser, startTestServer } from './browser.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

const run = chromiumOrSkip()
const screenshots = join(import.meta.dirname, 'screenshots')

/**
 * The pages issue 14 added, in a real browser at a phone's and a desktop's width: the
 * calm "already booked" page, the limit message next to the form, the burst box with its
 * checkboxes, and a leader's correction of a participant.
 */
describe.skipIf(!run)('a booking belongs to its citizen, in a real browser', () => {
  let t: TestApp & { base: string }
  let browser: Browser
  const layout = new LayoutWatch()
  let classId: number
  let participantId: number
  const staff = { email: 'leder@bib.dk', password: 'en lang og sikker adgangskode' }

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true })
    t = await startTestServer()
    classId = await createClass(t.db, { capacity: 4, meetings: ['2030-03-05T10:00'] })
    for (let i = 1; i <= 5; i++) await submitBooking(t.app, classId, { name: `Opdigtet Person ${i}`, phone: `3000000${i}` })
    const booked = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Grethe Hansen', phone: '+4512345678' }), { source: 'phone' })
    participantId = (await t.db.selectFrom('bookings').select('participant_id').where('token', '=', booked.token).executeTakeFirstOrThrow()).participant_id
    await createStaff(t.db, 'leader', staff.email, staff.password)
    browser = await launchChromium()
    layout.watch(browser)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.app.close()
  })

  async function pageAt (width: number): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 900 } })
    context.setDefaultTimeout(15_000)
    return await context.newPage()
  }

  it('says calmly that the person is already booked, and shows nothing of the booking', { timeout: 60_000 }, async () => {
    for (const width of [390, 1280]) {
      const page = await pageAt(width)
      await page.goto(`${t.base}/hold/${classId}`)
      await page.getByLabel('Navn', { exact: true }).fill('Grethe Hansen')
      await page.getByLabel('Telefonnummer', { exact: true }).fill('12 34 56 78')
      await page.locator('form.booking-form button[type=submit]').click()
      await page.waitForLoadState('load')
      expect(await page.locator('h1').textContent()).toBe('Du er allerede tilmeldt')
      expect(await page.locator('main').textContent()).not.toContain('/tilmelding/')
      expect(await axeViolations(page)).toEqual([])
      expect(await noSidewaysScroll(page)).toBe(true)
      await page.screenshot({ path: join(screenshots, `already-booked-${width}.png`), fullPage: true })
      await page.context().close()
    }
  })

  it('shows the burst box with visible checkboxes, and a leader cancels the burst by keyboard', { timeout: 90_000 }, async () => {
    const page = await pageAt(390)
    await signInInBrowser(page, t.base, staff.email, staff.password)
    await page.goto(`${t.base}/personale/hold/${classId}`)
    const box = page.locator('.burst')
    expect(await box.locator('h3').textContent()).toBe('Mange tilmeldinger fra samme netværk')
    const boxes = box.locator('input[type=checkbox]')
    expect(await boxes.count()).toBe(5)
    // Every checkbox is drawn (not reset away) and inside its box.
    const outer = await box.boundingBox()
    for (let i = 0; i < 5; i++) {
      const b = await boxes.nth(i).boundingBox()
      expect(b && b.width >= 16 && b.height >= 16).toBe(true)
      expect(b!.x >= outer!.x && b!.x + b!.width <= outer!.x + outer!.width).toBe(true)
      expect(await boxes.nth(i).isChecked()).toBe(true)
    }
    expect(await axeViolations(page)).toEqual([])
    expect(await noSidewaysScroll(page)).toBe(true)
    await page.screenshot({ path: join(screenshots, 'staff-burst-390.png'), fullPage: true })

    await box.getByRole('button', { name: 'Afmeld de valgte' }).focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(/afmeldt-flere=5/)
    expect(await page.locator('main').textContent()).toContain('5 tilmeldinger er afmeldt.')
    expect(await page.locator('.burst').count()).toBe(0)
    await page.context().close()
  })

  it('lets a leader correct a participant, with the error next to the field', { timeout: 60_000 }, async () => {
    const page = await pageAt(1280)
    await signInInBrowser(page, t.base, staff.email, staff.password)
    await page.goto(`${t.base}/personale/deltagere/${participantId}`)
    await page.getByText('Ret navn og kontaktoplysninger').click()
    expect(await page.getByLabel('Telefonnummer').inputValue()).toBe('12 34 56 78')
    await page.getByLabel('Telefonnummer').fill('12')
    await page.getByRole('button', { name: 'Gem rettelser' }).click()
    await page.waitForLoadState('load')
    expect(await page.locator('#f-phone-error').textContent()).toContain('Telefonnummeret ser forkert ud')
    expect(await page.locator('details#ret').getAttribute('open')).not.toBeNull()
    expect(await axeViolations(page)).toEqual([])
    await page.screenshot({ path: join(screenshots, 'participant-correct-1280.png'), fullPage: true })
    await page.getByLabel('Telefonnummer').fill('87 65 43 21')
    await page.getByRole('button', { name: 'Gem rettelser' }).click()
    await page.waitForURL(/rettet=1/)
    expect(await page.locator('main').textContent()).toContain('Oplysningerne er rettet.')
    expect(await axeViolations(page)).toEqual([])
    await page.context().close()
  })

  it.runIf(layoutCheckRuns)('has no layout problems at 390, 820 and 1280 px wide on any page the tests showed', { timeout: 180_000 }, async () => {
    expect(await layout.problems()).toEqual({})
  })
})
