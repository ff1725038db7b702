/// <reference lib="dom" />
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { AxeBuilder } from '@axe-core/playwright'
import { type Browser, type Page, chromium } from 'playwright-core'
import { buildTestApp, type TestApp } from '../helpers/http.ts'

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const hasChromium = existsSync(chromiumPath)
/** LAYOUT_SCREENSHOTS=1 saves every page the layout check shows, at every width, here. */
const layoutScreenshots = join(import.meta.dirname, 'screenshots', 'layout')

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

/**
 * The layout check: what a user would see as broken, one readable line each, naming the
 * element by a selector and its label. Runs inside the page at its current size:
 * - the page scrolls sideways; or, from 800 px wide, a box inside it does (on a phone a
 *   wide table may scroll inside its own box);
 * - a form control is not drawn: no size, or no border, background or native look
 *   (a checkbox with `appearance: none` and nothing else is invisible), or it is
 *   transparent and its label draws nothing in its place;
 * - a form control lies outside the box of the form it belongs to;
 * - two interactive elements overlap (a tap could hit either);
 * - a text field is too narrow for what it holds: a time "10:30", a date "31.12.2030",
 *   a phone number "12 34 56 78", `maxlength` digits in a numeric field, or the text
 *   of a `data-fits` attribute.
 * Controls hidden from everyone on purpose (not rendered, or inside `aria-hidden` and out
 * of the tab order, like the honeypot) are left out.
 */
export async function layoutProblems (page: Page): Promise<string[]> {
  await page.evaluate(async () => { await document.fonts.ready })
  return await page.evaluate(() => {
    const problems: string[] = []
    const px = (n: number): number => Math.round(n)
    const clean = (text: string | null | undefined): string => (text ?? '').replace(/\s+/g, ' ').trim()

    const nameOf = (el: Element): string => {
      const labelledBy = el.getAttribute('aria-labelledby')
      const input = el as HTMLInputElement
      const text = clean(el.getAttribute('aria-label')) ||
        clean(labelledBy?.split(/\s+/).map(id => document.getElementById(id)?.textContent).join(' ')) ||
        clean(input.labels?.[0]?.textContent) ||
        (el.matches('input, select, textarea, form, fieldset, main, body') ? '' : clean(el.textContent)) ||
        clean(el.getAttribute('title') ?? input.placeholder ?? input.value)
      let selector = el.tagName.toLowerCase()
      if (el.id !== '') selector += `#${el.id}`
      else {
        if (el.classList.length > 0) selector += `.${[...el.classList].slice(0, 2).join('.')}`
        if (el.getAttribute('name') !== null) selector += `[name=${el.getAttribute('name') ?? ''}]`
      }
      if (el.matches('input') && el.id === '') selector += `[type=${input.type}]`
      return text === '' ? selector : `${selector} "${text.length > 48 ? `${text.slice(0, 45)}…` : text}"`
    }

    const rendered = (el: Element): boolean => el.checkVisibility({ visibilityProperty: true })
    const hiddenOnPurpose = (el: Element): boolean =>
      el.closest('[inert]') !== null || (el.closest('[aria-hidden="true"]') !== null && (el as HTMLElement).tabIndex < 0)

    const alpha = (color: string): number => {
      if (color === 'transparent') return 0
      const m = /rgba?\(([^)]+)\)/.exec(color)
      if (m === null) return 1
      const parts = (m[1] ?? '').split(/[\s,/]+/).filter(Boolean)
      return parts.length >= 4 ? Number(parts[3]) : 1
    }
    /** The colour behind an element: the first ancestor's background that is not transparent. */
    const backdrop = (el: Element): string => {
      for (let a = el.parentElement; a !== null; a = a.parentElement) {
        const bg = getComputedStyle(a).backgroundColor
        if (alpha(bg) > 0) return bg
      }
      return 'rgb(255, 255, 255)'
    }
    const hasBorder = (s: CSSStyleDeclaration): boolean =>
      ['top', 'right', 'bottom', 'left'].some(side =>
        parseFloat(s.getPropertyValue(`border-${side}-width`)) > 0 &&
        !['none', 'hidden'].includes(s.getPropertyValue(`border-${side}-style`)) &&
        alpha(s.getPropertyValue(`border-${side}-color`)) > 0) ||
      (s.boxShadow !== 'none' && s.boxShadow !== '')
    const hasBackground = (s: CSSStyleDeclaration, el: Element): boolean =>
      s.backgroundImage !== 'none' || (alpha(s.backgroundColor) > 0 && s.backgroundColor !== backdrop(el))
    const drawn = (s: CSSStyleDeclaration, el: Element): boolean =>
      s.content !== 'none' && s.display !== 'none' && parseFloat(s.width) > 0 && parseFloat(s.height) > 0 &&
      (hasBorder(s) || hasBackground(s, el))

    // 1. Sideways scrolling: the page, and boxes inside it.
    const root = document.documentElement
    const viewWidth = root.clientWidth
    if (root.scrollWidth > viewWidth + 1) {
      const wide: string[] = []
      for (const el of document.body.querySelectorAll('*')) {
        if (wide.length >= 3) break
        if (!rendered(el) || el.getBoundingClientRect().right <= viewWidth + 1) continue
        const parent = el.parentElement
        if (parent !== null && parent !== document.body && parent.getBoundingClientRect().right > viewWidth + 1) continue
        wide.push(`${nameOf(el).slice(0, 60)} reaches ${px(el.getBoundingClientRect().right)} px`)
      }
      problems.push(`the page scrolls sideways: ${root.scrollWidth} px wide in a ${viewWidth} px window${wide.length > 0 ? ` (${wide.join('; ')})` : ''}`)
    }
    for (const el of document.body.querySelectorAll('*')) {
      if (el.matches('input, textarea, select') || !rendered(el)) continue
      const overflow = getComputedStyle(el).overflowX
      if (viewWidth >= 800 && (overflow === 'auto' || overflow === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
        problems.push(`${nameOf(el).slice(0, 60)} scrolls sideways inside: ${el.scrollWidth} px of content in ${el.clientWidth} px`)
      }
    }

    /** What a text field must show in full, from its type, inputmode or maxlength. */
    const expectedValue = (el: HTMLInputElement, type: string): string => {
      const maxLength = el.maxLength > 0 && el.maxLength <= 12 ? el.maxLength : 0
      if (type === 'time') return '10:30'
      if (type === 'date') return '31.12.2030'
      if (type === 'datetime-local') return '31.12.2030 10:30'
      if (type === 'tel' || el.inputMode === 'tel' || el.autocomplete.includes('tel')) return '12 34 56 78'
      if ((el.inputMode === 'numeric' || el.inputMode === 'decimal' || type === 'number') && maxLength > 0) return '8'.repeat(maxLength)
      return ''
    }

    // 2–4. Form controls: drawn, inside their form, wide enough.
    const measure = document.createElement('canvas').getContext('2d')
    for (const el of document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | HTMLButtonElement>('input:not([type=hidden]), select, textarea, button')) {
      if (!rendered(el) || hiddenOnPurpose(el)) continue
      const name = nameOf(el)
      const box = el.getBoundingClientRect()
      const s = getComputedStyle(el)
      const type = el instanceof HTMLInputElement ? el.type : el.tagName.toLowerCase()
      if (box.width <= 1 || box.height <= 1) {
        problems.push(`${name} is not drawn: it is ${px(box.width)} × ${px(box.height)} px`)
        continue
      }
      const isButton = el instanceof HTMLButtonElement || ['submit', 'button', 'reset', 'image'].includes(type)
      if (parseFloat(s.opacity) < 0.1) {
        // A custom-drawn control (DKFDS checkboxes): its label must draw it.
        const labels = [...((el as HTMLInputElement).labels ?? [])]
        if (!labels.some(label => drawn(getComputedStyle(label, '::before'), label) || drawn(getComputedStyle(label, '::after'), label))) {
          problems.push(`${name} is not drawn: it is transparent and no label draws it`)
        }
      } else if (isButton) {
        if (clean(el.textContent ?? (el as HTMLInputElement).value) === '' && el.querySelector('img, svg') === null && !hasBorder(s) && !hasBackground(s, el)) {
          problems.push(`${name} is not drawn: no text, border or background`)
        }
      } else {
        const native = ['checkbox', 'radio', 'range', 'color', 'file'].includes(type) && s.appearance !== 'none'
        if (!native && !hasBorder(s) && !hasBackground(s, el)) {
          problems.push(`${name} is not drawn: no border or background${s.appearance === 'none' ? ' (appearance: none)' : ''}`)
        }
      }

      const form = el.form
      if (form !== null && form.contains(el) && form.getClientRects().length > 0) {
        // An inline form's box is only its line of text: take the block it sits in.
        let area: Element = form
        while (getComputedStyle(area).display === 'inline' && area.parentElement !== null) area = area.parentElement
        const f = area.getBoundingClientRect()
        if (box.left < f.left - 1 || box.top < f.top - 1 || box.right > f.right + 1 || box.bottom > f.bottom + 1) {
          problems.push(`${name} lies outside its form ${nameOf(form).slice(0, 40)}: at (${px(box.left)}, ${px(box.top)})–(${px(box.right)}, ${px(box.bottom)}), the form at (${px(f.left)}, ${px(f.top)})–(${px(f.right)}, ${px(f.bottom)})`)
        }
      }

      if (el instanceof HTMLInputElement && measure !== null) {
        const sample = el.dataset.fits ?? expectedValue(el, type)
        if (sample !== '') {
          measure.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`
          // Date and time fields also hold the browser's picker button.
          const picker = ['time', 'date', 'datetime-local', 'month', 'week'].includes(type) ? 30 : 0
          // The glyphs, the spacing between them, the picker, and a pixel for the caret.
          const needs = measure.measureText(sample).width + (sample.length - 1) * (parseFloat(s.letterSpacing) || 0) + picker + 1
          const has = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)
          if (has < needs) problems.push(`${name} is too narrow for "${sample}": ${px(has)} px inside, needs ${px(needs)} px`)
        }
      }
    }

    // 5. Interactive elements that overlap.
    const interactive = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
      .filter(el => rendered(el) && !hiddenOnPurpose(el))
      .map(el => ({
        el,
        rects: [...(getComputedStyle(el).display === 'inline' ? el.getClientRects() : [el.getBoundingClientRect()])].filter(r => r.width > 1 && r.height > 1)
      }))
      .filter(item => item.rects.length > 0)
    for (let i = 0; i < interactive.length; i++) {
      const a = interactive[i]!
      for (let j = i + 1; j < interactive.length; j++) {
        const b = interactive[j]!
        if (a.el.contains(b.el) || b.el.contains(a.el)) continue
        const hit = a.rects.flatMap(r => b.rects.map(q => ({
          w: Math.min(r.right, q.right) - Math.max(r.left, q.left),
          h: Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top),
          x: Math.max(r.left, q.left),
          y: Math.max(r.top, q.top)
        }))).find(o => o.w > 1 && o.h > 1)
        if (hit !== undefined) problems.push(`${nameOf(a.el)} and ${nameOf(b.el)} overlap: ${px(hit.w)} × ${px(hit.h)} px at (${px(hit.x)}, ${px(hit.y)})`)
      }
    }
    return problems
  })
}

/** The widths every page is checked at: a phone, a tablet upright, a desktop. */
export const LAYOUT_VIEWPORTS = [
  { width: 390, height: 844 },
  { width: 820, height: 1180 },
  { width: 1280, height: 900 }
] as const
/** The door is also used on a tablet lying down. */
export const DOOR_VIEWPORTS = [...LAYOUT_VIEWPORTS, { width: 1180, height: 820 }] as const

/**
 * Layout problems that belong to other work in progress (issue 15), expected for now.
 * Each entry is a TODO: remove it when the branch that fixes it is merged, and the layout
 * check fails again if the problem is still there. Any problem not listed here fails.
 */
export const KNOWN_LAYOUT_ISSUES: Array<{ page: RegExp, problem: RegExp, todo: string }> = []

/**
 * `layoutProblems` at each size, the page resized in place: a problem list per size, sizes
 * without problems left out. With `screenshot`, also saves a full-page screenshot per size
 * to that path (its name ending in `-<width>.png`).
 */
export async function layoutProblemsAt (page: Page, viewports: ReadonlyArray<{ width: number, height: number }> = LAYOUT_VIEWPORTS, screenshot?: string): Promise<Record<string, string[]>> {
  const before = page.viewportSize()
  const found: Record<string, string[]> = {}
  for (const viewport of viewports) {
    await page.setViewportSize(viewport)
    if (screenshot !== undefined) await page.screenshot({ path: `${screenshot}-${viewport.width}.png`, fullPage: true })
    const problems = await layoutProblems(page)
    if (problems.length > 0) found[`${viewport.width}×${viewport.height}`] = problems
  }
  if (before !== null) await page.setViewportSize(before)
  return found
}

/** Pages look the same on both databases: the layout check runs on the SQLite run only. */
export const layoutCheckRuns = process.env.TEST_DB !== 'postgres'

interface Recorded { url: string, status: number, headers: Record<string, string>, body: Buffer }

/**
 * Watches every page a test file's browser shows, and checks their layout afterwards.
 * `watch(browser)` records each HTML page any of the browser's contexts loads: the
 * response as the server sent it (an error page after a POST, a page before and after a
 * change). `problems()` shows each recorded page again, served from the recording (so
 * nothing is posted twice and one-time links stay unused; styles, scripts and images come
 * from the server, other requests are refused), and runs `layoutProblems` at 390, 820 and
 * 1280 px wide, door pages also at 1180 × 820. It returns the problems that are not in
 * KNOWN_LAYOUT_ISSUES, by page and size; `expected` keeps the known ones it saw.
 */
export class LayoutWatch {
  private readonly recorded: Array<Promise<Recorded | null>> = []
  private newContext: Browser['newContext'] | null = null
  /** The known problems (KNOWN_LAYOUT_ISSUES) the last check saw. */
  expected: Record<string, string[]> = {}

  watch (browser: Browser): void {
    const newContext = browser.newContext.bind(browser)
    this.newContext = newContext
    browser.newContext = async (options) => {
      const context = await newContext(options)
      context.on('response', response => {
        const status = response.status()
        if (response.request().resourceType() !== 'document' || response.frame().parentFrame() !== null) return
        if (!(response.headers()['content-type'] ?? '').startsWith('text/html') || status < 200 || (status >= 300 && status < 400)) return
        this.recorded.push(response.body().then(body => ({ url: response.url(), status, headers: response.headers(), body }), () => {
          console.warn(`The layout check could not keep ${response.url()}: the browser left it before it had loaded.`)
          return null
        }))
      })
      return context
    }
  }

  async problems (): Promise<Record<string, string[]>> {
    if (this.newContext === null) throw new Error('LayoutWatch.problems() before watch(browser)')
    // One check per distinct page: the same page with other form tokens is the same page.
    const pages = new Map<string, Recorded>()
    for (const page of await Promise.all(this.recorded)) {
      if (page !== null) pages.set(`${page.url} ${page.status} ${page.body.toString('utf8').replace(/(nonce|value)="[^"]*"/g, '')}`, page)
    }
    const found: Record<string, string[]> = {}
    this.expected = {}
    // Routing turns the browser's cache off: the static files are kept here instead.
    const files = new Map<string, Recorded>()
    let showing: Recorded | null = null
    let shot = 0
    if (process.env.LAYOUT_SCREENSHOTS === '1') mkdirSync(layoutScreenshots, { recursive: true })
    const context = await this.newContext({ viewport: LAYOUT_VIEWPORTS[0] })
    context.setDefaultTimeout(15_000)
    const page = await context.newPage()
    await page.route('**/*', async route => {
      const request = route.request()
      if (request.isNavigationRequest() && request.frame() === page.mainFrame() && showing !== null) {
        const headers = Object.fromEntries(Object.entries(showing.headers).filter(([k]) => !['set-cookie', 'content-length', 'content-encoding', 'transfer-encoding'].includes(k)))
        await route.fulfill({ status: showing.status, headers, body: showing.body })
      } else if (['stylesheet', 'script', 'image', 'font'].includes(request.resourceType())) {
        let file = files.get(request.url())
        if (file === undefined) {
          const response = await route.fetch()
          file = { url: request.url(), status: response.status(), headers: response.headers(), body: await response.body() }
          files.set(request.url(), file)
        }
        await route.fulfill(file)
      } else {
        await route.abort()
      }
    })
    for (const visited of pages.values()) {
      const url = new URL(visited.url)
      const where = `${url.pathname}${url.search}${visited.status === 200 ? '' : ` (${visited.status})`}`
      showing = visited
      await page.goto(visited.url, { waitUntil: 'load' })
      const screenshot = process.env.LAYOUT_SCREENSHOTS === '1' ? join(layoutScreenshots, `${++shot}-${where.replace(/[^\w.-]+/g, '_').slice(1, 80) || 'forside'}`) : undefined
      const sizes = await layoutProblemsAt(page, /^\/tjek-ind(\/|$)/.test(url.pathname) ? DOOR_VIEWPORTS : LAYOUT_VIEWPORTS, screenshot)
      for (const [size, problems] of Object.entries(sizes)) {
        for (const problem of problems) {
          const list = KNOWN_LAYOUT_ISSUES.some(issue => issue.page.test(where) && issue.problem.test(problem)) ? this.expected : found
          const key = `${where} at ${size}`
          list[key] ??= []
          if (!list[key].includes(problem)) list[key].push(problem)
        }
      }
    }
    await context.close()
    const known = Object.values(this.expected).flat()
    if (known.length > 0) console.info(`The layout check saw ${known.length} known problems (KNOWN_LAYOUT_ISSUES), by page:\n${Object.entries(this.expected).map(([where, list]) => `  ${where}: ${list.length}`).join('\n')}`)
    return found
  }
}
