/// <reference lib="dom" />
import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { AxeBuilder } from '@axe-core/playwright'
import { type Browser, type Page, chromium } from 'playwright-core'
import { buildTestApp, type TestApp } from '../helpers/app.ts'

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const hasChromium = existsSync(chromiumPath)

/** Browser tests skip without Chromium, unless REQUIRE_E2E=1 makes that an error (CI). */
export function chromiumOrSkip (): boolean {
  if (hasChromium) return true
  const message = `Chromium not found at ${chromiumPath}: browser tests are skipped. Install it with "apt-get install -y chromium" or set CHROMIUM_PATH.`
  if (process.env.REQUIRE_E2E === '1') throw new Error(`${message} REQUIRE_E2E=1 makes this an error.`)
  console.warn(message)
  return false
}

export async function launchChromium (): Promise<Browser> {
  return await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
}

export async function startTestServer (): Promise<TestApp & { base: string }> {
  const t = await buildTestApp()
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  return { ...t, base: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}` }
}

/** Signs a staff user in through the sign-in page, starting from `path` (which asks for it). */
export async function signInInBrowser (page: Page, base: string, email: string, password: string, path = '/personale/log-ind'): Promise<void> {
  await page.goto(`${base}${path}`)
  await page.getByLabel('E-mail').fill(email)
  await page.getByLabel('Adgangskode').fill(password)
  await page.getByRole('button', { name: 'Log ind' }).click()
  await page.waitForLoadState('load')
}

/** axe-core's WCAG 2.1 A and AA violations on the page, one readable line each. */
export async function axeViolations (page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  return result.violations.map(v => `${v.id}: ${v.help} — ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)
}

/** True when the page fits the window's width (no sideways scrolling). */
export async function noSidewaysScroll (page: Page): Promise<boolean> {
  return await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)
}
