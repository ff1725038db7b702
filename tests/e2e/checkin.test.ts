/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, type Page, chromium } from 'playwright-core'
import QRCode from 'qrcode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bookSeat } from '../../server/services/booking-service.ts'
import { assignToClass } from '../../server/services/volunteer-service.ts'
import { bookingInput, createClassToday, createStaff, seedEarlierParticipants, staffIdOf, asStaff } from '../helpers/factories.ts'
import { type TestApp } from '../helpers/http.ts'
import { axeViolations, chromiumOrSkip, chromiumPath, layoutCheckRuns, LayoutWatch, noSidewaysScroll, signInInBrowser, startTestServer } from './browser.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

const run = chromiumOrSkip()
const screenshots = join(import.meta.dirname, 'screenshots')

/**
 * A camera that films a QR code: a Y4M video file of the code, black on white, which
 * Chromium plays as its fake camera.
 */
async function qrVideo (text: string): Promise<string> {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' })
  const n = qr.modules.size
  const width = 640
  const height = 480
  const scale = Math.floor(360 / (n + 8))
  const side = (n + 8) * scale
  const left = Math.floor((width - side) / 2)
  const top = Math.floor((height - side) / 2)
  const y = Buffer.alloc(width * height, 200)
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      const mr = Math.floor(row / scale) - 4
      const mc = Math.floor(col / scale) - 4
      const dark = mr >= 0 && mc >= 0 && mr < n && mc < n && qr.modules.get(mr, mc) === 1
      y[(top + row) * width + left + col] = dark ? 16 : 235
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128)
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma, chroma])
  const file = join(mkdtempSync(join(tmpdir(), 'digikurser-camera-')), 'qr.y4m')
  writeFileSync(file, Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`), ...Array.from({ length: 20 }, () => frame)]))
  return file
}

describe.skipIf(!run)('the door on a tablet, in a real browser', () => {
  let t: TestApp & { base: string }
  let browser: Browser
  const layout = new LayoutWatch()
  let meetingId: number
  let classId: number

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true })
    t = await startTestServer()
    // 2,998 people have come before: the second new face today is number 3,000.
    await seedEarlierParticipants(t.db, 2998)
    ;({ classId, meetingId } = await createClassToday(t.db, { capacity: 12 }))
    const earlier = new Date(Date.now() - 3 * 86400_000)
    for (const [name, phone, hearing] of [['Grethe Hansen', '+4522223333', true], ['Bent Olsen', '+4566667777', false], ['Søren Ærø', '+4512121212', false], ['Karen Jensen', '+4534343434', false], ['Poul Holm', '+4556565656', true], ['Ali Hassan', '+4578787878', false]] as const) {
      await bookSeat(t.db, CITIZEN, classId, bookingInput({ name, phone, needsHearingLoop: hearing }), { source: 'phone', now: earlier })
    }
    await createStaff(t.db, 'volunteer', 'frida@bib.dk', 'fridas lange adgangskode')
    const fridaId = await staffIdOf(t.db, 'frida@bib.dk')
    await assignToClass(t.db, asStaff(fridaId), classId, fridaId, 'helper')
    await createStaff(t.db, 'leader', 'lene@bib.dk', 'lenes lange adgangskode')
    const grethe = await t.db.selectFrom('bookings').innerJoin('participants', 'participants.id', 'bookings.participant_id').select('bookings.checkin_code').where('participants.name', '=', 'Grethe Hansen').executeTakeFirstOrThrow()
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${await qrVideo(grethe.checkin_code)}`]
    })
    layout.watch(browser)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.app.close()
  })

  const person = (page: Page, name: string) => page.locator('#door-list li', { hasText: name })

  it('a volunteer searches, checks in by tap, by QR code and offline, and sees the 3,000th celebrated; zero axe-core violations', { timeout: 180_000 }, async () => {
    const found: Record<string, string[]> = {}
    const context = await browser.newContext({ viewport: { width: 820, height: 1180 }, hasTouch: true })
    context.setDefaultTimeout(15_000)
    const page = await context.newPage()
    await signInInBrowser(page, t.base, 'frida@bib.dk', 'fridas lange adgangskode', '/tjek-ind')
    expect(page.url()).toBe(`${t.base}/tjek-ind`)
    found.today = await axeViolations(page)
    await page.screenshot({ path: join(screenshots, 'door-today-tablet.png'), fullPage: true })
    await page.getByRole('link', { name: /Kom godt i gang med MitID/ }).click()
    await page.waitForURL(`${t.base}/tjek-ind/${meetingId}`)
    found.sheet = await axeViolations(page)
    await page.screenshot({ path: join(screenshots, 'door-sheet-tablet.png'), fullPage: true })
    expect(await page.content()).not.toContain('22223333')

    // Search as you type, then one tap.
    await page.getByLabel('Søg efter navn').fill('bent')
    await expect.poll(async () => await page.locator('#door-list li:visible').count()).toBe(1)
    await person(page, 'Bent Olsen').getByRole('button', { name: 'Tjek ind Bent Olsen' }).click()
    await expect.poll(async () => await person(page, 'Bent Olsen').locator('[data-state]').textContent()).toBe('✓ Tjekket ind')
    expect(await page.locator('[data-count]').textContent()).toBe('1')

    // The next new face is number 3,000.
    await page.getByLabel('Søg efter navn').fill('søren')
    await person(page, 'Søren Ærø').getByRole('button', { name: 'Tjek ind Søren Ærø' }).click()
    const celebration = page.locator('#door-celebration')
    await celebration.waitFor({ state: 'visible' })
    expect(await celebration.textContent()).toContain('Du er deltager nr. 3.000!')
    expect(await celebration.textContent()).toContain('Søren Ærø er deltager nr. 3.000 i alt.')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('door-celebration')
    found.celebration = await axeViolations(page)
    await page.screenshot({ path: join(screenshots, 'door-celebration-tablet.png') })
    await celebration.getByRole('button', { name: 'Luk' }).click()

    // Grethe shows the QR code from her e-mail to the tablet's camera.
    // The search field was emptied by the check-in; the list still shows the search until »Vis alle«.
    expect(await page.getByLabel('Søg efter navn').inputValue()).toBe('')
    await page.getByRole('button', { name: 'Vis alle' }).click()
    await page.getByRole('button', { name: 'Scan QR-kode' }).click()
    await expect.poll(async () => await person(page, 'Grethe Hansen').locator('[data-state]').textContent(), { timeout: 20_000 }).toBe('✓ Tjekket ind')
    // The answer to a code stands next to the code box, where the volunteer is looking.
    expect(await page.locator('#door-code-message').textContent()).toContain('Grethe Hansen er tjekket ind.')

    // The network drops: Karen's tap waits on the tablet, and goes when it returns.
    await context.setOffline(true)
    await person(page, 'Karen Jensen').getByRole('button', { name: 'Tjek ind Karen Jensen' }).click()
    await expect.poll(async () => await page.locator('#door-queue').textContent(), { timeout: 20_000 }).toContain('1 tjek-ind venter på at blive sendt. Der er ingen forbindelse')
    expect(await person(page, 'Karen Jensen').locator('[data-state]').textContent()).toBe('✓ Tjekket ind (sendes …)')
    await page.screenshot({ path: join(screenshots, 'door-offline-tablet.png') })
    await context.setOffline(false)
    await page.evaluate(() => window.dispatchEvent(new Event('online')))
    await expect.poll(async () => await page.locator('#door-queue').isHidden(), { timeout: 20_000 }).toBe(true)
    expect(await person(page, 'Karen Jensen').locator('[data-state]').textContent()).toBe('✓ Tjekket ind')

    const rows = await t.db.selectFrom('attendances').innerJoin('participants', 'participants.id', 'attendances.participant_id').select(['participants.name', 'attendances.via']).orderBy('attendances.id').execute()
    expect(rows).toEqual([
      { name: 'Bent Olsen', via: 'tablet' },
      { name: 'Søren Ærø', via: 'tablet' },
      { name: 'Grethe Hansen', via: 'code' },
      { name: 'Karen Jensen', via: 'tablet' }
    ])
    expect(await t.db.selectFrom('outbox').select(['recipient', 'subject']).where('kind', '=', 'milestone').execute())
      .toEqual([{ recipient: 'lene@bib.dk', subject: 'Milepæl: deltager nr. 3.000 er kommet (i alt)' }])

    // Portrait, landscape and phone: no sideways scrolling, big targets.
    for (const [name, viewport] of [['landscape', { width: 1180, height: 820 }], ['phone', { width: 375, height: 740 }]] as const) {
      await page.setViewportSize(viewport)
      await page.reload()
      expect(await noSidewaysScroll(page), name).toBe(true)
      await page.screenshot({ path: join(screenshots, `door-sheet-${name}.png`), fullPage: true })
    }
    const box = await person(page, 'Poul Holm').getByRole('button').boundingBox()
    expect(box?.height).toBeGreaterThanOrEqual(44)
    await context.close()
    expect(found).toEqual(Object.fromEntries(Object.keys(found).map(k => [k, []])))
  })

  it('leader pages and the PIN link: zero axe-core violations, and a walk-in by keyboard alone', { timeout: 180_000 }, async () => {
    const found: Record<string, string[]> = {}
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    context.setDefaultTimeout(15_000)
    const page = await context.newPage()
    await signInInBrowser(page, t.base, 'lene@bib.dk', 'lenes lange adgangskode')
    expect(page.url()).toBe(`${t.base}/personale`)

    await page.goto(`${t.base}/tjek-ind/${meetingId}`)
    // A walk-in, typed and sent with the keyboard only.
    await page.getByLabel('Navn', { exact: true }).focus()
    await page.keyboard.type('Ida Nielsen')
    await page.keyboard.press('Enter')
    await expect.poll(async () => await person(page, 'Ida Nielsen').locator('[data-state]').textContent(), { timeout: 20_000 }).toBe('✓ Tjekket ind')
    found.leaderSheet = await axeViolations(page)

    await page.getByRole('button', { name: 'Lav et link med PIN-kode' }).click()
    await page.waitForLoadState('load')
    found.linkCreated = await axeViolations(page)
    await page.screenshot({ path: join(screenshots, 'door-link-created.png'), fullPage: true })
    const url = (await page.locator('.link-text').textContent()) ?? ''
    const pin = (await page.locator('.door-pin-shown').textContent()) ?? ''

    for (const [name, path] of [['milestones', '/personale/milepaele'], ['attendance', `/personale/hold/${classId}/fremmoede`], ['goals', `/personale/hold/${classId}/laeringsmaal`], ['class', `/personale/hold/${classId}`]] as const) {
      await page.goto(`${t.base}${path}`)
      found[name] = await axeViolations(page)
      await page.screenshot({ path: join(screenshots, `staff-${name}.png`), fullPage: true })
    }
    expect(await page.content()).toContain('Fremmøde')
    await page.goto(`${t.base}/personale/milepaele`)
    expect(await page.locator('main').textContent()).toContain('Søren Ærø')
    const participant = await t.db.selectFrom('participants').select('id').where('name', '=', 'Søren Ærø').executeTakeFirstOrThrow()
    await page.goto(`${t.base}/personale/deltagere/${participant.id}`)
    expect(await page.locator('main').textContent()).toContain('Milepæl: Deltager nr. 3.000 i alt')
    found.participant = await axeViolations(page)
    await page.screenshot({ path: join(screenshots, 'staff-participant.png'), fullPage: true })

    // A club volunteer's tablet, without an account.
    const tabletContext = await browser.newContext({ viewport: { width: 820, height: 1180 } })
    const tablet = await tabletContext.newPage()
    await tablet.goto(url.replace(/^https?:\/\/[^/]+/, t.base))
    found.pin = await axeViolations(tablet)
    await tablet.screenshot({ path: join(screenshots, 'door-pin-tablet.png') })
    await tablet.getByLabel('PIN-kode').fill(pin)
    await tablet.getByRole('button', { name: 'Åbn listen' }).click()
    await tablet.waitForURL(`${t.base}/tjek-ind/${meetingId}`)
    expect(await tablet.locator('#door-list').textContent()).toContain('Poul Holm')
    await tabletContext.close()
    await context.close()
    expect(found).toEqual(Object.fromEntries(Object.keys(found).map(k => [k, []])))
  })

  it.runIf(layoutCheckRuns)('has no layout problems at 390, 820 and 1280 px wide on any page the tests showed', { timeout: 180_000 }, async () => {
    expect(await layout.problems()).toEqual({})
  })
})
