/// <reference lib="dom" />
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bookSeat } from '../../server/services/booking-service.ts'
import { assignToClass } from '../../server/services/volunteer-service.ts'
import { bookingInput, createClassToday, createStaff, seedEarlierParticipants, staffIdOf, asStaff } from '../helpers/factories.ts'
import { type TestApp } from '../helpers/http.ts'
import { axeViolations, chromiumOrSkip, launchChromium, layoutCheckRuns, LayoutWatch, noSidewaysScroll, signInInBrowser, startTestServer } from './browser.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

const run = chromiumOrSkip()
const screenshots = join(import.meta.dirname, 'screenshots')
const earlier = new Date(Date.now() - 3 * 86400_000)

const VIEWPORTS = [['landscape', { width: 1180, height: 820 }], ['portrait', { width: 820, height: 1180 }], ['phone', { width: 390, height: 844 }]] as const

/**
 * The door as a tired volunteer uses it on a tablet: a double tap, the walk-in form, an
 * undone milestone, the search after a check-in, in landscape, portrait and on a phone.
 */
describe.skipIf(!run)('the door is safe to tap, in a real browser', () => {
  let t: TestApp & { base: string }
  let browser: Browser
  const layout = new LayoutWatch()
  let meetingId: number

  const NAMES = ['Grethe Hansen', 'Bent Olsen', 'Søren Ærø', 'Karen Jensen', 'Poul Holm', 'Ali Hassan', 'Ida Nielsen', 'Jens Berg']

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true })
    t = await startTestServer()
    // 2,999 people have come before: the first new face today is number 3,000.
    await seedEarlierParticipants(t.db, 2999)
    let classId: number
    ;({ classId, meetingId } = await createClassToday(t.db, { capacity: NAMES.length + 5 }))
    for (const [i, name] of NAMES.entries()) await bookSeat(t.db, CITIZEN, classId, bookingInput({ name, phone: `+45222233${String(i).padStart(2, '0')}` }), { source: 'phone', now: earlier })
    await createStaff(t.db, 'volunteer', 'frida@bib.dk', 'fridas lange adgangskode')
    const fridaId = await staffIdOf(t.db, 'frida@bib.dk')
    await assignToClass(t.db, asStaff(fridaId), classId, fridaId, 'helper')
    await createStaff(t.db, 'leader', 'lene@bib.dk', 'lenes lange adgangskode')
    browser = await launchChromium()
    layout.watch(browser)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.app.close()
  })

  const row = (page: Page, name: string) => page.locator('#door-list li', { hasText: name })
  const isHere = async (name: string) => (await t.db.selectFrom('attendances').innerJoin('participants', 'participants.id', 'attendances.participant_id')
    .select('attendances.id').where('participants.name', '=', name).where('attendances.meeting_id', '=', meetingId).executeTakeFirst()) !== undefined
  // "Fortryd" within a second of checking in counts as part of a double tap and is ignored: tap until it asks.
  async function askUndo (page: Page, who: string) {
    const yes = row(page, who).getByRole('button', { name: 'Ja, fortryd' })
    await expect.poll(async () => {
      if (!await yes.isVisible()) await row(page, who).getByRole('link', { name: /Fortryd tjek ind af|Nej, behold/ }).click()
      return await yes.isVisible()
    }, { timeout: 10_000 }).toBe(true)
    return yes
  }
  const settled = async (page: Page) => await expect.poll(async () => await page.locator('#door-queue').isHidden(), { timeout: 20_000 }).toBe(true)

  async function volunteer (opts: { javaScriptEnabled?: boolean, viewport?: { width: number, height: number }, who?: 'frida' | 'lene' } = {}): Promise<{ context: BrowserContext, page: Page }> {
    const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1180, height: 820 }, hasTouch: true, javaScriptEnabled: opts.javaScriptEnabled ?? true })
    context.setDefaultTimeout(15_000)
    const page = await context.newPage()
    if (opts.who === 'lene') await signInInBrowser(page, t.base, 'lene@bib.dk', 'lenes lange adgangskode', `/tjek-ind/${meetingId}`)
    else await signInInBrowser(page, t.base, 'frida@bib.dk', 'fridas lange adgangskode', `/tjek-ind/${meetingId}`)
    await page.goto(`${t.base}/tjek-ind/${meetingId}`)
    return { context, page }
  }

  it('undoing the 3,000th check-in says who holds the number now, or that nobody does yet', { timeout: 60_000 }, async () => {
    const { context, page } = await volunteer({ viewport: { width: 820, height: 1180 } })
    // Søren is the first new face: number 3,000.
    await row(page, 'Søren Ærø').getByRole('button', { name: 'Tjek ind Søren Ærø' }).click()
    const celebration = page.locator('#door-celebration')
    await celebration.waitFor({ state: 'visible' })
    expect(await celebration.textContent()).toContain('Søren Ærø er deltager nr. 3.000 i alt.')
    await celebration.getByRole('button', { name: 'Luk' }).click()
    await row(page, 'Ali Hassan').getByRole('button', { name: 'Tjek ind Ali Hassan' }).click()
    await settled(page)

    await (await askUndo(page, 'Søren Ærø')).click()
    const moved = page.locator('#door-moved')
    await moved.waitFor({ state: 'visible' })
    expect(await moved.textContent()).toContain('Søren Ærø er ikke længere deltager nr. 3.000 i alt. Nu er Ali Hassan nr. 3.000 og skal fejres.')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('door-moved')
    expect(await axeViolations(page)).toEqual([])
    await page.screenshot({ path: join(screenshots, 'door-milestone-moved-portrait.png') })
    await moved.getByRole('button', { name: 'Luk' }).click()

    await (await askUndo(page, 'Ali Hassan')).click()
    await expect.poll(async () => await moved.textContent()).toContain('Ingen har nr. 3.000 endnu: den næste nye deltager får nummeret.')
    await moved.getByRole('button', { name: 'Luk' }).click()
    // Søren again, so that the other tests meet no milestone.
    await row(page, 'Søren Ærø').getByRole('button', { name: 'Tjek ind Søren Ærø' }).click()
    await celebration.waitFor({ state: 'visible' })
    await celebration.getByRole('button', { name: 'Luk' }).click()
    await settled(page)
    await context.close()
  })

  it('a double tap on "Tjek ind" checks the person in and leaves them in; undoing asks first', { timeout: 120_000 }, async () => {
    const { context, page } = await volunteer()
    for (const [name, viewport] of VIEWPORTS) {
      await page.setViewportSize(viewport)
      await page.goto(`${t.base}/tjek-ind/${meetingId}`)
      const who = { landscape: 'Grethe Hansen', portrait: 'Bent Olsen', phone: 'Karen Jensen' }[name]
      const button = row(page, who).getByRole('button', { name: `Tjek ind ${who}` })
      await button.scrollIntoViewIfNeeded()
      const box = await button.boundingBox()
      const rowBefore = await row(page, who).boundingBox()
      await page.mouse.dblclick(box!.x + box!.width / 2, box!.y + box!.height / 2)
      await settled(page)
      expect(await row(page, who).locator('[data-state]').textContent(), name).toBe('✓ Tjekket ind')
      expect(await isHere(who), name).toBe(true)
      // Nothing above the row grew: the next tap lands where the volunteer aims.
      expect(Math.abs((await row(page, who).boundingBox())!.y - rowBefore!.y), name).toBeLessThan(1)
      expect(await page.locator('#door-message').textContent(), name).toBe(`${who} er tjekket ind.`)
      expect(await page.locator('#door-message').evaluate(el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight }), name).toBe(true)
      // Two more quick taps on the same spot, now that "Fortryd" stands there: still checked in.
      await page.mouse.click(box!.x + box!.width / 2, box!.y + box!.height / 2)
      await page.mouse.click(box!.x + box!.width / 2, box!.y + box!.height / 2)
      await settled(page)
      expect(await isHere(who), name).toBe(true)
      // "Ja, fortryd" is never where "Fortryd" (or "Tjek ind") was.
      const yes = await askUndo(page, who)
      const yesBox = await yes.boundingBox()
      const overlaps = (a: typeof box, b: typeof box) => !!a && !!b && a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
      expect(overlaps(yesBox, await row(page, who).getByRole('link', { name: /Nej, behold/ }).boundingBox()), name).toBe(false)
      expect(overlaps(yesBox, box), name).toBe(false)
      expect(await axeViolations(page), name).toEqual([])
      await page.screenshot({ path: join(screenshots, `door-undo-asks-${name}.png`) })
      await yes.click()
      await settled(page)
      expect(await isHere(who), name).toBe(false)
    }
    await context.close()
  })

  it('without JavaScript, a double tap checks in once, and "Fortryd" asks on the row', { timeout: 60_000 }, async () => {
    const { context, page } = await volunteer({ javaScriptEnabled: false, viewport: { width: 820, height: 1180 } })
    const who = 'Poul Holm'
    await row(page, who).getByRole('button', { name: `Tjek ind ${who}` }).dblclick()
    await expect.poll(async () => await isHere(who)).toBe(true)
    await row(page, who).getByRole('link', { name: `Fortryd tjek ind af ${who}` }).click()
    await page.waitForLoadState('load')
    expect(await isHere(who)).toBe(true)
    expect(await row(page, who).textContent()).toContain(`Skal ${who} ikke være tjekket ind?`)
    await page.screenshot({ path: join(screenshots, 'door-undo-asks-nojs.png') })
    await row(page, who).getByRole('link', { name: /Nej, behold/ }).click()
    await page.waitForLoadState('load')
    expect(await isHere(who)).toBe(true)
    await context.close()
  })

  it('the overfill checkbox stands, visible and labelled, inside the walk-in form, not over the header', { timeout: 60_000 }, async () => {
    const { context, page } = await volunteer({ who: 'lene' })
    for (const [name, viewport] of VIEWPORTS) {
      await page.setViewportSize(viewport)
      const box = await page.locator('#f-overfill').boundingBox()
      const form = await page.locator('#door-walkin-form').boundingBox()
      const header = await page.locator('.door-bar').boundingBox()
      expect(box, name).not.toBeNull()
      expect(box!.width, name).toBeGreaterThanOrEqual(16)
      expect(box!.x >= form!.x && box!.y >= form!.y && box!.x + box!.width <= form!.x + form!.width && box!.y + box!.height <= form!.y + form!.height, name).toBe(true)
      expect(box!.y, name).toBeGreaterThan(header!.y + header!.height)
      await page.getByLabel('Giv plads, selv om holdet er fuldt').check()
      expect(await page.locator('#f-overfill').isChecked(), name).toBe(true)
      await page.getByLabel('Giv plads, selv om holdet er fuldt').uncheck()
      expect(await noSidewaysScroll(page), name).toBe(true)
      await page.locator('#ny').screenshot({ path: join(screenshots, `door-walkin-leader-${name}.png`) })
    }
    expect(await axeViolations(page)).toEqual([])
    await context.close()
  })

  it('after "Tilføj og tjek ind" the message stands next to the form, in view, in a live region', { timeout: 60_000 }, async () => {
    const { context, page } = await volunteer()
    for (const [name, viewport] of VIEWPORTS) {
      await page.setViewportSize(viewport)
      await page.goto(`${t.base}/tjek-ind/${meetingId}`)
      const person = `Ny Gæst ${name}`
      await page.getByLabel('Navn', { exact: true }).fill(person)
      await page.getByRole('button', { name: 'Tilføj og tjek ind' }).click()
      const message = page.locator('#door-walkin-message')
      await expect.poll(async () => await message.textContent(), { timeout: 20_000 }).toContain(`${person} har fået en plads og er tjekket ind.`)
      expect(await message.getAttribute('aria-live'), name).toBe('polite')
      const inView = await message.evaluate(el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0 })
      expect(inView, name).toBe(true)
      expect(await page.getByLabel('Navn', { exact: true }).inputValue(), name).toBe('')
      await page.screenshot({ path: join(screenshots, `door-walkin-added-${name}.png`) })
    }
    await context.close()
  })

  it('empties the search after a check-in without moving the rows, and "Koden findes ikke" for a wrong code', { timeout: 60_000 }, async () => {
    const { context, page } = await volunteer({ viewport: { width: 820, height: 1180 } })
    await page.getByLabel('Søg efter navn').fill('berg')
    await expect.poll(async () => await page.locator('#door-list li:visible').count()).toBe(1)
    const before = await row(page, 'Jens Berg').boundingBox()
    await row(page, 'Jens Berg').getByRole('button', { name: 'Tjek ind Jens Berg' }).click()
    expect(await page.getByLabel('Søg efter navn').inputValue()).toBe('')
    expect((await row(page, 'Jens Berg').boundingBox())!.y).toBe(before!.y)
    // The row just tapped stays where it was, ticked; nobody else's button slides under the finger.
    expect(await page.locator('#door-list li:visible').count()).toBe(1)
    expect(await page.locator('#door-still-shown').textContent()).toContain('Søgefeltet er tømt')
    await settled(page)
    expect(await isHere('Jens Berg')).toBe(true)
    await page.screenshot({ path: join(screenshots, 'door-search-cleared-portrait.png') })
    await page.getByRole('button', { name: 'Vis alle' }).click()
    expect(await page.locator('#door-list li:visible').count()).toBe(NAMES.length + 3)

    await page.getByLabel('Kode', { exact: true }).fill('ABC DEF')
    await page.getByRole('button', { name: 'Tjek ind med kode' }).click()
    const codeMessage = page.locator('#door-code-message')
    expect(await codeMessage.textContent()).toContain('Koden findes ikke')
    expect(await codeMessage.evaluate(el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight })).toBe(true)
    await context.close()
  })

  it('a volunteer with no class today is told whom to ask', { timeout: 60_000 }, async () => {
    await createStaff(t.db, 'volunteer', 'ole@bib.dk', 'oles lange adgangskode')
    await t.db.updateTable('staff_users').set({ name: 'Lene Holm', phone: '+4512345678' }).where('email', '=', 'lene@bib.dk').execute()
    const context = await browser.newContext({ viewport: { width: 820, height: 1180 } })
    const page = await context.newPage()
    await signInInBrowser(page, t.base, 'ole@bib.dk', 'oles lange adgangskode', '/tjek-ind')
    expect(await page.locator('main').textContent()).toContain('Du er ikke sat på noget hold i dag')
    expect(await page.getByRole('link', { name: '12 34 56 78' }).getAttribute('href')).toBe('tel:+4512345678')
    expect(await axeViolations(page)).toEqual([])
    for (const [name, viewport] of VIEWPORTS) {
      await page.setViewportSize(viewport)
      await page.screenshot({ path: join(screenshots, `door-today-empty-${name}.png`), fullPage: true })
    }
    await context.close()
  })

  it('screenshots of the sheet in every size', { timeout: 60_000 }, async () => {
    const { context, page } = await volunteer({ who: 'lene' })
    for (const [name, viewport] of [...VIEWPORTS, ['desktop', { width: 1280, height: 900 }]] as const) {
      await page.setViewportSize(viewport)
      expect(await noSidewaysScroll(page), name).toBe(true)
      await page.screenshot({ path: join(screenshots, `door-sheet-leader-${name}.png`), fullPage: true })
    }
    await context.close()
  })

  it.runIf(layoutCheckRuns)('has no layout problems at 390, 820 and 1280 px wide on any page the tests showed', { timeout: 240_000 }, async () => {
    expect(await layout.problems()).toEqual({})
  })
})
