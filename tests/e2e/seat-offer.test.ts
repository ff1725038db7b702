/// <reference lib="dom" />
// The page a seat offer's e-mail links to, in a real Chromium: reached from the e-mail's
// button, answered "Ja, jeg kommer" with the keyboard alone, and axe-core before and after.
import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CITIZEN } from '../../server/domain/actor.ts'
import type { MailMessage } from '../../server/mail/messages.ts'
import { cancelBooking } from '../../server/services/booking-service.ts'
import { bookingInput, bookNew, createClass, createLocation } from '../helpers/factories.ts'
import { type TestApp } from '../helpers/http.ts'
import { axeViolations, chromiumOrSkip, launchChromium, startTestServer } from './browser.ts'

const suite = chromiumOrSkip() ? describe : describe.skip

async function isFocused (locator: Locator): Promise<boolean> {
  return await locator.evaluate(el => el === document.activeElement)
}

/** Presses Tab until `target` has focus, as a keyboard user would. */
async function tabTo (page: Page, target: Locator, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab')
    if (await isFocused(target)) return
  }
  throw new Error(`could not reach ${target.toString()} with ${max} presses of Tab`)
}

suite('the seat offer page in a real browser (Chromium)', { timeout: 120_000 }, () => {
  let t: TestApp & { base: string }
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    t = await startTestServer()
    browser = await launchChromium()
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'da-DK' })
    context.setDefaultTimeout(15_000)
    page = await context.newPage()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.app.close()
  })

  it('answers "Ja, jeg kommer" by keyboard alone, with no axe violations before or after', async () => {
    const library = await createLocation(t.db, { name: 'Hovedbiblioteket', street: 'Tobaksgården 12' })
    const classId = await createClass(t.db, { locationId: library, capacity: 1, meetings: ['2030-03-05T10:00'] })
    await t.db.updateTable('classes').set({ waitlist_mode: 'offer' }).where('id', '=', classId).execute()
    const seat = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Karen Plads', email: 'karen@example.dk' }), { source: 'online' })
    const waiting = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Inger Venter', email: 'inger@example.dk' }), { source: 'online' })
    await cancelBooking(t.db, CITIZEN, seat.token, 'participant')

    // The e-mail's button is the way in.
    const mail = await t.db.selectFrom('outbox').select('payload_json').where('kind', '=', 'seat_offer').executeTakeFirstOrThrow()
    const offer = JSON.parse(mail.payload_json) as Extract<MailMessage, { kind: 'seat_offer' }>
    await page.goto(`${t.base}/tilbud/${offer.offerToken}`)
    expect(await page.locator('h1').innerText()).toBe('Der er en plads til dig')
    expect(await page.locator('main').innerText()).toMatch(/Svar inden \S+dag \d+\. \S+ (\d{4} )?kl\. \d\d\.\d\d\./)
    expect(await axeViolations(page)).toEqual([])

    const yes = page.getByRole('button', { name: 'Ja, jeg kommer' })
    await tabTo(page, yes)
    // The next stop after "Ja" is "Nej tak": both answers are in reach.
    await page.keyboard.press('Tab')
    expect(await isFocused(page.getByRole('button', { name: 'Nej tak' }))).toBe(true)
    await page.keyboard.press('Shift+Tab')
    expect(await isFocused(yes)).toBe(true)
    await Promise.all([page.waitForURL(/\?svar=ja$/), page.keyboard.press('Enter')])

    expect(await page.locator('h1').innerText()).toBe('Du har fået pladsen')
    expect(await page.getByRole('status').innerText()).toContain('Tak for svaret.')
    expect(await axeViolations(page)).toEqual([])
    const status = await t.db.selectFrom('bookings').select(['status', 'filled_by']).where('token', '=', waiting.token).executeTakeFirstOrThrow()
    expect(status).toEqual({ status: 'confirmed', filled_by: 'offer' })

    const toBooking = page.getByRole('link', { name: 'Se din tilmelding' })
    await tabTo(page, toBooking)
    await Promise.all([page.waitForURL(`**/tilmelding/${waiting.token}`), page.keyboard.press('Enter')])
    expect(await page.locator('h1').innerText()).toBe('Du har en plads')
  })
})
