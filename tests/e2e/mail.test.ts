/// <reference lib="dom" />
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderMail } from '../../server/mail/render.ts'
import { messageOf } from '../../server/mail/outbox.ts'
import { bookSeat } from '../../server/services/booking-service.ts'
import { bookingInput, bookNew, createClass, createStaff } from '../helpers/factories.ts'
import { type TestApp } from '../helpers/http.ts'
import { axeViolations, chromiumOrSkip, launchChromium, layoutCheckRuns, LayoutWatch, noSidewaysScroll, startTestServer } from './browser.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

const run = chromiumOrSkip()
const screenshots = join(import.meta.dirname, 'screenshots')
const sizes = { phone: { width: 375, height: 740 }, tablet: { width: 820, height: 1180 }, desktop: { width: 1280, height: 900 } }

async function violations (page: Page): Promise<string[]> {
  // The e-mail preview frame is sandboxed without scripts, and axe waits forever for a
  // frame it cannot enter. The frame element stays (its title is checked); its content is
  // emptied here, and the e-mails themselves are checked on their own below.
  await page.evaluate(() => {
    const frame = document.querySelector('iframe.email-preview')
    if (frame) { frame.removeAttribute('sandbox'); frame.setAttribute('src', 'about:blank') }
  })
  return await axeViolations(page)
}

describe.skipIf(!run)('e-mail pages in a real browser', () => {
  let t: TestApp & { base: string }
  let browser: Browser
  const layout = new LayoutWatch()
  let classId: number

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true })
    t = await startTestServer()
    classId = await createClass(t.db, { course: 'mitid-appen', meetings: ['2030-04-01T10:00', '2030-04-08T10:00'] })
    await bookSeat(t.db, CITIZEN, classId, bookingInput({ name: 'Poul Holm', phone: '+4512345678', needsHearingLoop: true }), { source: 'phone', now: new Date('2030-03-01T10:00:00Z') })
    await bookSeat(t.db, CITIZEN, classId, bookingInput({ name: 'Grethe Hansen', email: 'grethe@example.dk', booker: { name: 'Lise Hansen', phone: '+4587654321', email: 'lise@example.dk' } }), { source: 'online', now: new Date('2030-03-01T10:00:00Z') })
    // A mobile number and a yes to texts (given after booking, so the booking sent nothing): texts reach him, the call list leaves him out.
    const bent = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: 'Bent Sms', phone: '+4521000001' }), { source: 'phone', now: new Date('2030-03-01T10:00:00Z') })
    await t.db.updateTable('bookings').set({ sms_consent: 1 }).where('token', '=', bent.token).execute()
    await createStaff(t.db, 'leader', 'lene@bib.dk', 'lenes lange adgangskode')
    browser = await launchChromium()
    layout.watch(browser)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.app.close()
  })

  it('interest form, unsubscribe, sent messages, a message to the class and the call list: zero axe-core violations, readable at every size', { timeout: 120_000 }, async () => {
    const found: Record<string, string[]> = {}
    const citizenContext = await browser.newContext({ viewport: sizes.phone })
    citizenContext.setDefaultTimeout(15_000)
    const citizen = await citizenContext.newPage()
    await citizen.goto(`${t.base}/kurser/mitid-kom-godt-i-gang`)
    await citizen.getByRole('button', { name: 'Giv mig besked' }).click()
    await citizen.waitForLoadState('load')
    expect(await citizen.locator('#f-email-error').textContent()).toContain('Skriv din e-mailadresse')
    found.interestError = await violations(citizen)
    await citizen.getByLabel('Din e-mail').fill('karen@example.dk')
    await citizen.getByRole('button', { name: 'Giv mig besked' }).click()
    await citizen.waitForURL(/besked=ja/)
    expect(await citizen.locator('main').textContent()).toContain('Vi har sendt dig en e-mail')
    found.interestDone = await violations(citizen)
    await citizen.screenshot({ path: join(screenshots, 'interest-phone.png'), fullPage: true })
    const confirmation = await t.db.selectFrom('outbox').select('payload_json').where('kind', '=', 'interest_confirm').executeTakeFirstOrThrow()
    await citizen.goto(`${t.base}/interesse/bekraeft/${(JSON.parse(confirmation.payload_json) as { confirmToken: string }).confirmToken}`)
    found.interestConfirm = await violations(citizen)
    await citizen.getByRole('button', { name: 'Ja, giv mig besked' }).click()
    await citizen.waitForLoadState('load')
    expect(await citizen.locator('main').textContent()).toContain('Du får nu besked')
    found.interestConfirmed = await violations(citizen)
    const token = (await t.db.selectFrom('interest_subscriptions').select('token').executeTakeFirstOrThrow()).token
    await citizen.goto(`${t.base}/interesse/afmeld/${token}`)
    found.unsubscribe = await violations(citizen)
    await citizen.getByRole('button', { name: 'Ja, afmeld mig' }).click()
    await citizen.waitForLoadState('load')
    expect(await citizen.locator('h1').textContent()).toBe('Du er afmeldt')
    found.unsubscribed = await violations(citizen)
    await citizen.context().close()

    await t.app.mail.worker.runOnce()
    const context = await browser.newContext({ viewport: sizes.desktop })
    context.setDefaultTimeout(15_000)
    const page = await context.newPage()
    await page.goto(`${t.base}/personale/log-ind`)
    await page.getByLabel('E-mail').fill('lene@bib.dk')
    await page.getByLabel('Adgangskode').fill('lenes lange adgangskode')
    await page.getByRole('button', { name: 'Log ind' }).click()
    await page.waitForURL(/\/personale$/)

    await page.getByRole('navigation', { name: 'Personale' }).getByRole('link', { name: 'Sendte beskeder' }).click()
    await page.waitForURL(/beskeder$/)
    expect(await page.locator('tbody tr').count()).toBe(3)
    found.emails = await violations(page)
    await page.screenshot({ path: join(screenshots, 'staff-emails-desktop.png'), fullPage: true })
    await page.getByRole('link', { name: /^Du har en plads/ }).click()
    await page.waitForURL(/beskeder\/\d+$/)
    const frame = page.frameLocator('iframe.email-preview')
    expect(await frame.locator('body').textContent()).toContain('Du har en plads')
    await page.screenshot({ path: join(screenshots, 'staff-email-desktop.png'), fullPage: true })
    found.email = await violations(page)

    await page.goto(`${t.base}/personale/ringeliste?dag=2030-03-30`)
    expect(await page.locator('main').textContent()).toContain('Poul Holm')
    found.callList = await violations(page)
    await page.getByRole('button', { name: 'Ringet til Poul Holm' }).click()
    await page.waitForURL(/ringeliste\?dag=2030-03-30#r-/)
    expect(await page.locator('main').textContent()).toContain('1 af 1 er ringet op')
    found.callListTicked = await violations(page)
    for (const [name, viewport] of Object.entries(sizes)) {
      await page.setViewportSize(viewport)
      expect(await noSidewaysScroll(page), name).toBe(true)
      await page.screenshot({ path: join(screenshots, `call-list-${name}.png`), fullPage: true })
    }
    await page.emulateMedia({ media: 'print' })
    await page.screenshot({ path: join(screenshots, 'call-list-print.png'), fullPage: true })
    await page.emulateMedia({ media: 'screen' })
    await page.setViewportSize(sizes.desktop)

    // A message to the class: the form (with an error, and with the count kept live), the preview, the receipt.
    await page.goto(`${t.base}/personale/hold/${classId}`)
    await page.getByRole('link', { name: 'Skriv til holdet' }).click()
    await page.waitForURL(/\/besked$/)
    found.classMessage = await violations(page)
    await page.getByRole('button', { name: 'Se forhåndsvisning' }).click()
    await page.waitForLoadState('load')
    expect(await page.locator('#f-text-error').textContent()).toContain('Skriv beskeden.')
    found.classMessageError = await violations(page)
    await page.getByLabel('Beskeden').fill('Lokalet er flyttet til 2. sal')
    await expect.poll(async () => await page.locator('#f-text-count').textContent()).toBe('Du har 91 tegn tilbage.')
    await page.getByRole('button', { name: 'Se forhåndsvisning' }).click()
    await page.waitForLoadState('load')
    expect(await page.locator('.sms-text').textContent()).toBe('MitID-appen - brug den trygt og flyt den til en ny telefon: Lokalet er flyttet til 2. sal')
    found.classMessagePreview = await violations(page)
    await page.screenshot({ path: join(screenshots, 'staff-class-message-preview-desktop.png'), fullPage: true })
    await page.getByRole('button', { name: 'Send beskeden' }).click()
    await page.waitForURL(/besked=/)
    expect(await page.locator('main').textContent()).toContain('Beskeden er sendt: 2 e-mails, 1 sms, 1 skal ringes op.')
    found.classMessageSent = await violations(page)

    // The text among the sent messages, and on its own page.
    await t.app.mail.worker.runOnce()
    await page.goto(`${t.base}/personale/beskeder?kanal=sms`)
    expect(await page.locator('tbody tr').count()).toBe(1)
    expect(await page.locator('tbody').textContent()).toContain('21 00 00 01')
    found.smsList = await violations(page)
    await page.screenshot({ path: join(screenshots, 'staff-sms-list-desktop.png'), fullPage: true })
    await page.getByRole('link', { name: /Lokalet er flyttet/ }).click()
    await page.waitForURL(/beskeder\/\d+$/)
    found.sms = await violations(page)
    for (const [name, viewport] of Object.entries(sizes)) {
      await page.setViewportSize(viewport)
      expect(await noSidewaysScroll(page), name).toBe(true)
    }
    await context.close()

    // The e-mails themselves, as a phone's mail app shows them.
    const mailContext = await browser.newContext({ viewport: sizes.phone })
    mailContext.setDefaultTimeout(15_000)
    const mailPage = await mailContext.newPage()
    for (const row of await t.db.selectFrom('outbox').selectAll().where('channel', '=', 'email').orderBy('id').execute()) {
      const mail = await renderMail(messageOf(row), { ...t.app.mail.context, now: new Date() })
      await mailPage.setContent(mail.html)
      found[`mail-${row.id}-${row.kind}`] = await violations(mailPage)
      expect(await noSidewaysScroll(mailPage), row.kind).toBe(true)
      await mailPage.screenshot({ path: join(screenshots, `email-${row.id}-${row.kind}-phone.png`), fullPage: true })
    }
    await mailPage.context().close()

    expect(found).toEqual(Object.fromEntries(Object.keys(found).map(k => [k, []])))
  })

  it.runIf(layoutCheckRuns)('has no layout problems at 390, 820 and 1280 px wide on any page the tests showed', { timeout: 180_000 }, async () => {
    expect(await layout.problems()).toEqual({})
  })
})
