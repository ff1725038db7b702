/// <reference lib="dom" />
// The layout check itself, on small pages with one defect each, styled by the same CSS as
// the app (DKFDS and ours): every defect is reported, and a clean page gives nothing.
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumOrSkip, LAYOUT_VIEWPORTS, launchChromium, layoutCheckRuns, layoutProblems } from './browser.ts'

const run = chromiumOrSkip()
const root = join(import.meta.dirname, '..', '..')

const header = `
  <header class="site-header"><div class="container site-header-inner">
    <a class="site-name" href="/">Digitale kurser</a>
    <nav class="site-nav" aria-label="Hovedmenu"><ul><li><a href="/">Kommende hold</a></li><li><a href="/kurser">Alle kurser</a></li></ul></nav>
  </div></header>`

/** A page like the app's: a form with a DKFDS checkbox, a time, a date and a phone field, two buttons. */
const clean = `${header}
  <main class="container site-main">
    <h1>Nyt møde</h1>
    <form method="post" action="/" id="meeting">
      <div class="form-group"><label class="form-label" for="f-name">Navn</label><input class="form-input" id="f-name" name="name" type="text" maxlength="100"></div>
      <div class="form-group"><label class="form-label" for="f-phone">Telefon</label><input class="form-input input-width-m" id="f-phone" name="phone" type="tel"></div>
      <div class="form-group"><label class="form-label" for="f-date">Dato</label><input class="form-input" id="f-date" name="date" type="date" value="2030-12-31"></div>
      <div class="form-group"><label class="form-label" for="f-start">Start</label><input class="form-input" style="width: 14rem" id="f-start" name="start" type="time" value="10:30"></div>
      <div class="form-group"><label class="form-label" for="f-year">Fødselsår</label><input class="form-input" style="width: 10rem" id="f-year" name="year" inputmode="numeric" maxlength="4"></div>
      <div class="form-group-checkbox"><input class="form-checkbox" type="checkbox" id="f-loop" name="loop"><label for="f-loop">Jeg har brug for teleslynge</label></div>
      <div class="hp" aria-hidden="true"><label for="f-website">Lad dette felt være tomt</label><input type="text" id="f-website" name="website" tabindex="-1"></div>
      <div class="actions"><button type="submit" class="button button-primary">Gem</button><a class="button button-secondary" href="/">Fortryd</a></div>
    </form>
  </main>`

async function problemsOn (page: Page, body: string, width = 1280): Promise<string[]> {
  await page.setViewportSize({ width, height: 900 })
  await page.setContent(`<!doctype html><html lang="da"><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>Prøve</title></head><body>${body}</body></html>`)
  await page.addStyleTag({ path: join(root, 'node_modules/dkfds/dist/css/dkfds-borgerdk.min.css') })
  await page.addStyleTag({ path: join(root, 'public/css/app.css') })
  return await layoutProblems(page)
}

describe.skipIf(!run || !layoutCheckRuns)('the layout check', () => {
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    browser = await launchChromium()
    page = await (await browser.newContext()).newPage()
  }, 60_000)

  afterAll(async () => { await browser?.close() })

  it('finds nothing on a clean page at any width', async () => {
    for (const { width } of LAYOUT_VIEWPORTS) {
      expect(await problemsOn(page, clean, width), `${width} px`).toEqual([])
    }
  })

  // As the attendance checkboxes once were: DKFDS's reset took their look, nothing drew them.
  it('finds an invisible checkbox: appearance none, no border, no background', async () => {
    const problems = await problemsOn(page, clean.replace('</form>', `
      <table><tr><th id="l-1">Grethe</th><td><input class="old-attendance-check" style="appearance: none; -webkit-appearance: none; border: 0; background: none; width: 2.4rem; height: 2.4rem" type="checkbox" id="here-1" name="here" aria-labelledby="l-1"></td></tr></table></form>`))
    expect(problems).toEqual(['input#here-1 "Grethe" is not drawn: no border or background (appearance: none)'])
  })

  it('finds a checkbox drawn outside its form, over the header (a DKFDS checkbox without its wrapper)', async () => {
    const problems = await problemsOn(page, clean.replace('<div class="actions">', `
      <div class="form-group"><input class="form-checkbox" id="f-overfill" name="overfill" type="checkbox" value="1"><label for="f-overfill">Giv plads, selv om holdet er fuldt</label></div>
      <div class="actions">`), 390)
    expect(problems, problems.join('\n')).toHaveLength(2)
    expect(problems[0]).toMatch(/^input#f-overfill "Giv plads, selv om holdet er fuldt" lies outside its form form#meeting: at \(0, \d+\)/)
    expect(problems[1]).toMatch(/^a\.site-name "Digitale kurser" and input#f-overfill "Giv plads, selv om holdet er fuldt" overlap: /)
  })

  it('finds two buttons on top of each other', async () => {
    const problems = await problemsOn(page, clean.replace('<a class="button button-secondary" href="/">Fortryd</a>', '<button type="submit" class="button button-secondary" name="undo" style="margin-left: -6rem">Fortryd</button>'))
    expect(problems).toEqual([expect.stringMatching(/^button\.button\.button-primary "Gem" and button\.button\.button-secondary\[name=undo\] "Fortryd" overlap: \d+ × \d+ px/)])
  })

  it('finds a time field too narrow for "10:30", and a numeric field too narrow for its maxlength', async () => {
    const problems = await problemsOn(page, clean.replace('style="width: 14rem"', 'style="width: 9rem"').replace('style="width: 10rem"', 'style="width: 5rem"'))
    expect(problems).toEqual([
      expect.stringMatching(/^input#f-start "Start" is too narrow for "10:30": \d+ px inside, needs \d+ px$/),
      expect.stringMatching(/^input#f-year "Fødselsår" is too narrow for "8888": \d+ px inside, needs \d+ px$/)
    ])
  })

  it('finds a page that scrolls sideways on a phone, and a box that scrolls sideways inside', async () => {
    const wide = clean.replace('<h1>Nyt møde</h1>', '<h1>Nyt møde</h1><p class="wide" style="width: 60rem">Et afsnit, der ikke kan blive smallere.</p>')
    expect(await problemsOn(page, wide, 390)).toEqual([expect.stringMatching(/^the page scrolls sideways: \d+ px wide in a 390 px window \(p\.wide "Et afsnit, der ikke kan blive smallere\." reaches \d+ px\)$/)])
    expect(await problemsOn(page, wide, 820)).toEqual([])
    const table = clean.replace('<h1>Nyt møde</h1>', '<h1>Nyt møde</h1><div class="table-wrap"><table style="width: 60rem"><tr><td>Bred tabel</td></tr></table></div>')
    expect(await problemsOn(page, table.replace('60rem', '90rem'), 820)).toEqual([expect.stringMatching(/^div\.table-wrap "Bred tabel" scrolls sideways inside: \d+ px of content in \d+ px$/)])
    // On a phone a wide table may scroll inside its own box.
    expect(await problemsOn(page, table, 390)).toEqual([])
  })

  it('finds a control with no size, and a transparent control its label does not draw', async () => {
    const problems = await problemsOn(page, clean.replace('<div class="actions">', `
      <input type="text" id="f-zero" name="zero" aria-label="Nul" style="width: 0; padding: 0; border: 0">
      <input type="checkbox" id="f-ghost" name="ghost" style="opacity: 0; width: 24px; height: 24px"><label for="f-ghost">Spøgelse</label>
      <div class="actions">`))
    expect(problems).toEqual([
      expect.stringMatching(/^input#f-zero "Nul" is not drawn: it is 0 × \d+ px$/),
      'input#f-ghost "Spøgelse" is not drawn: it is transparent and no label draws it'
    ])
  })
})
