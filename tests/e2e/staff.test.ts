/// <reference lib="dom" />
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClass, type TestApp } from '../helpers/app.ts'
import { chromiumOrSkip, launchChromium, startTestServer } from './browser.ts'

const run = chromiumOrSkip()
const screenshots = join(import.meta.dirname, 'screenshots')

async function violations (page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  return result.violations.map(v => `${v.id}: ${v.help} — ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)
}

describe.skipIf(!run)('the staff area in a real browser', () => {
  let t: TestApp & { base: string }
  let browser: Browser

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true })
    t = await startTestServer()
    await createClass(t.db, { capacity: 10, meetings: ['2030-03-05T10:00', '2030-03-12T10:00'] })
    browser = await launchChromium()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.app.close()
  })

  it('creates the first admin, signs out and in again, with zero axe-core violations on every page', { timeout: 120_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    context.setDefaultTimeout(15_000)
    const page = await context.newPage()
    const found: Record<string, string[]> = {}

    await page.goto(`${t.base}/personale/log-ind`)
    await page.waitForURL(/opret-administrator$/)
    found.firstAdmin = await violations(page)
    await page.getByRole('button', { name: 'Opret administrator' }).click()
    await page.waitForLoadState('load')
    expect(await page.locator('.form-error-message').count()).toBeGreaterThan(0)
    found.firstAdminErrors = await violations(page)

    await page.getByLabel('Dit navn').fill('Anne Admin')
    await page.getByLabel('Din e-mail').fill('anne@bib.dk')
    await page.getByLabel('Adgangskode', { exact: true }).fill('en lang og sikker adgangskode')
    await page.getByLabel('Gentag adgangskoden').fill('en lang og sikker adgangskode')
    await page.getByRole('button', { name: 'Opret administrator' }).click()
    await page.waitForURL(/\/personale$/)
    expect(await page.locator('h1').textContent()).toBe('Oversigt')
    expect(await page.locator('main').textContent()).toContain('Kom godt i gang med MitID')
    found.overview = await violations(page)
    await page.screenshot({ path: join(screenshots, 'staff-overview-desktop.png'), fullPage: true })

    await page.getByRole('link', { name: 'Revisionslog' }).click()
    await page.waitForURL(/revisionslog$/)
    found.auditLog = await violations(page)

    await page.getByRole('button', { name: 'Log ud' }).click()
    await page.waitForURL(/logget-ud=1$/)
    found.signIn = await violations(page)
    await page.getByLabel('E-mail').fill('anne@bib.dk')
    await page.getByLabel('Adgangskode').fill('forkert adgangskode')
    await page.getByRole('button', { name: 'Log ind' }).click()
    await page.waitForLoadState('load')
    expect(await page.locator('main').textContent()).toContain('E-mail eller adgangskode er forkert.')
    found.signInError = await violations(page)
    await page.getByLabel('Adgangskode').fill('en lang og sikker adgangskode')
    await page.getByRole('button', { name: 'Log ind' }).click()
    await page.waitForURL(/\/personale$/)

    await page.getByRole('link', { name: 'Steder og partnere' }).click()
    await page.waitForURL(/steder$/)
    found.places = await violations(page)
    await page.getByRole('link', { name: 'Nyt sted' }).click()
    found.newPlace = await violations(page)
    await page.getByLabel('Navn').fill('Brædstrup Bibliotek')
    await page.getByRole('button', { name: 'Gem' }).click()
    await page.waitForLoadState('load')
    expect(await page.locator('#f-street-error').textContent()).toContain('Skriv vejnavn og husnummer.')
    found.newPlaceErrors = await violations(page)
    await page.getByLabel('Vej og husnummer').fill('Søndergade 8')
    await page.getByLabel('Postnummer').fill('8740')
    await page.getByLabel('By', { exact: true }).fill('Brædstrup')
    await page.getByRole('button', { name: 'Gem' }).click()
    await page.waitForURL(/gemt=1$/)
    expect(await page.locator('main').textContent()).toContain('Brædstrup Bibliotek')
    found.placesSaved = await violations(page)
    await page.screenshot({ path: join(screenshots, 'staff-places-desktop.png'), fullPage: true })
    await page.goto(`${t.base}/personale/partnere/ny`)
    found.newPartner = await violations(page)

    // A leader plans a class with two meetings; a citizen books it; the leader sees the booking.
    await page.goto(`${t.base}/personale`)
    await page.getByRole('link', { name: 'Nyt hold' }).click()
    found.newClass = await violations(page)
    await page.getByLabel('Kursus').selectOption('sundhed-dk-minsundhed-og-min-laege')
    await page.getByLabel('Sted', { exact: true }).selectOption({ label: 'Brædstrup Bibliotek' })
    await page.getByLabel('Antal pladser').fill('8')
    await page.locator('#f-meeting-date-1').fill('2030-09-03')
    await page.locator('#f-meeting-start-1').fill('10:00')
    await page.locator('#f-meeting-end-1').fill('12:00')
    await page.locator('#f-meeting-date-2').fill('2030-09-10')
    await page.locator('#f-meeting-start-2').fill('10:00')
    await page.locator('#f-meeting-end-2').fill('11:30')
    await page.getByRole('button', { name: 'Opret hold' }).click()
    await page.waitForURL(/oprettet=1$/)
    const classUrl = page.url().replace(/\?.*$/, '')
    found.classPage = await violations(page)

    const citizen = await (await browser.newContext()).newPage()
    await citizen.goto(`${t.base}/`)
    await citizen.getByRole('link', { name: 'MinSundhed', exact: false }).first().click()
    await citizen.getByLabel('Navn', { exact: true }).fill('Birthe Lund')
    await citizen.getByLabel('Telefonnummer', { exact: true }).fill('51 52 53 54')
    await citizen.getByRole('button', { name: 'Tilmeld' }).click()
    await citizen.waitForURL(/\?ny=1$/)
    await citizen.context().close()

    await page.goto(classUrl)
    expect(await page.locator('#deltagere ~ .table-wrap').textContent()).toContain('Birthe Lund')
    expect(await page.locator('main').textContent()).toContain('1 af 8 er optaget')
    found.classWithParticipant = await violations(page)
    await page.screenshot({ path: join(screenshots, 'staff-class-desktop.png'), fullPage: true })

    await page.getByRole('link', { name: 'Tilmeld pr. telefon' }).click()
    found.phoneBooking = await violations(page)
    await page.getByLabel('Navn', { exact: true }).fill('Preben Holm')
    await page.getByLabel('Telefonnummer', { exact: true }).fill('61 62 63 64')
    await page.getByRole('button', { name: 'Tilmeld' }).click()
    await page.waitForURL(/tilmeldt=plads/)
    expect(await page.locator('main').textContent()).toContain('Preben Holm')
    await page.getByRole('link', { name: 'Preben Holm' }).click()
    await page.waitForURL(/tilmeldinger\/\d+$/)
    found.bookingPage = await violations(page)
    await page.goto(classUrl)
    await page.getByLabel('Person', { exact: true }).selectOption({ label: 'Anne Admin (Administrator)' })
    await page.getByRole('button', { name: 'Sæt på holdet' }).click()
    await page.waitForURL(/gemt=1/)
    await page.goto(`${classUrl.replace('/hold/', '/mine-hold/')}`)
    found.myClass = await violations(page)
    await page.goto(`${t.base}/personale/deltagere?q=Preben`)
    found.participantSearch = await violations(page)
    await page.getByRole('link', { name: 'Preben Holm' }).click()
    await page.waitForURL(/deltagere\/\d+$/)
    found.participant = await violations(page)
    await page.goto(`${t.base}/personale/profil`)
    found.profile = await violations(page)
    await page.goto(`${t.base}/personale/frivillige/1`)
    found.volunteer = await violations(page)
    await page.goto(`${t.base}/personale/uge?fra=2030-09-02`)
    expect(await page.locator('main').textContent()).toContain('Sundhed.dk')
    found.week = await violations(page)
    await page.goto(`${t.base}/personale/kurser`)
    found.staffCourses = await violations(page)
    await page.goto(`${t.base}/personale/kurser/mitid-appen`)
    found.staffCourse = await violations(page)
    await page.goto(`${classUrl}/venteliste`)
    found.callDown = await violations(page)
    await page.goto(`${classUrl}/doerliste`)
    found.doorList = await violations(page)

    await page.goto(`${t.base}/personale/brugere`)
    await page.getByLabel('Navn').fill('Frida Frivillig')
    await page.getByLabel('E-mail').fill('frida@bib.dk')
    await page.getByLabel('Rolle').selectOption('volunteer')
    await page.getByRole('button', { name: 'Invitér' }).click()
    await page.waitForLoadState('load')
    const link = (await page.locator('.link-text').textContent())?.trim().replace('http://kurser.test', t.base) ?? ''
    found.users = await violations(page)
    const invitee = await (await browser.newContext()).newPage()
    await invitee.goto(link)
    found.invitation = await violations(invitee)
    await invitee.context().close()

    expect(Object.keys(found)).toHaveLength(28)
    expect(found).toEqual(Object.fromEntries(Object.keys(found).map(k => [k, []])))
    await context.close()
  })
})
