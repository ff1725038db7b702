import { SaxesParser } from 'saxes'
import { describe, expect, it } from 'vitest'
import { type Bar, barChartSvg, FONT_SIZE, textWidth } from '../../server/domain/bar-chart.ts'
import { barChart, type ReportTable } from '../../server/services/report-tables.ts'

interface Element { name: string, attributes: Record<string, string>, text: string, children: Element[] }

/** The SVG read by an XML parser of its own (saxes): it throws on anything not well-formed. */
function parse (svg: string): Element {
  const parser = new SaxesParser()
  const stack: Element[] = []
  let root: Element | undefined
  parser.on('error', error => { throw error })
  parser.on('opentag', tag => {
    const element: Element = { name: tag.name, attributes: tag.attributes as Record<string, string>, text: '', children: [] }
    stack.at(-1)?.children.push(element)
    root ??= element
    stack.push(element)
  })
  parser.on('text', text => { if (stack.length > 0) stack.at(-1)!.text += text })
  parser.on('closetag', () => { stack.pop() })
  parser.write(svg).close()
  if (!root) throw new Error('no element')
  return root
}

const all = (e: Element): Element[] => [e, ...e.children.flatMap(all)]
const num = (e: Element, name: string) => Number(e.attributes[name])
const bars = (root: Element) => all(root).filter(e => e.name === 'rect' && e.attributes.fill === '#0059b3')
const texts = (root: Element) => all(root).filter(e => e.name === 'text')

/**
 * Where a text is drawn, from its anchor and the estimated width, turned like the text
 * itself (translate and rotate): the corners of its box.
 */
function corners (e: Element): Array<[number, number]> {
  const w = textWidth(e.text)
  const anchor = e.attributes['text-anchor'] ?? 'start'
  const left = anchor === 'end' ? -w : anchor === 'middle' ? -w / 2 : 0
  const box: Array<[number, number]> = [[left, -FONT_SIZE], [left + w, -FONT_SIZE], [left, FONT_SIZE * 0.3], [left + w, FONT_SIZE * 0.3]]
  const move = /translate\(([-\d.]+) ([-\d.]+)\)/.exec(e.attributes.transform ?? '')
  const turn = Number(/rotate\(([-\d.]+)\)/.exec(e.attributes.transform ?? '')?.[1] ?? 0) * Math.PI / 180
  const [x, y] = move ? [Number(move[1]), Number(move[2])] : [num(e, 'x'), num(e, 'y')]
  return box.map(([dx, dy]) => [x + dx * Math.cos(turn) - dy * Math.sin(turn), y + dx * Math.sin(turn) + dy * Math.cos(turn)])
}

function expectInside (root: Element) {
  const [, , width, height] = (root.attributes.viewBox ?? '').split(' ').map(Number) as [number, number, number, number]
  expect(width).toBe(num(root, 'width'))
  expect(height).toBe(num(root, 'height'))
  for (const e of texts(root)) {
    for (const [x, y] of corners(e)) {
      expect(x, e.text).toBeGreaterThanOrEqual(0)
      expect(x, e.text).toBeLessThanOrEqual(width)
      expect(y, e.text).toBeGreaterThanOrEqual(0)
      expect(y, e.text).toBeLessThanOrEqual(height)
    }
  }
  for (const e of bars(root)) {
    expect(num(e, 'x') + num(e, 'width')).toBeLessThanOrEqual(width)
    expect(num(e, 'y') + num(e, 'height')).toBeLessThanOrEqual(height)
  }
}

const PLACES: Bar[] = [
  { label: 'Hovedbiblioteket', value: 1234 },
  { label: 'Brædstrup Bibliotek', value: 617 },
  { label: 'Seniorklubben', value: 0 },
  { label: 'Borgerservice', value: 308.5 }
]
const MONTHS: Bar[] = ['januar', 'februar', 'marts', 'april', 'maj', 'juni', 'juli', 'august', 'september', 'oktober', 'november', 'december']
  .map((m, i) => ({ label: `${m} 2025`, value: (i * 37) % 200 }))

describe('the bar chart as SVG', () => {
  it.each([true, false])('is well-formed decoration with one class, and draws bars as long as their values (horizontal: %s)', horizontal => {
    const root = parse(barChartSvg({ bars: PLACES, title: 'Fremmøder', horizontal }))
    expect(root.name).toBe('svg')
    expect(root.attributes).toMatchObject({ 'aria-hidden': 'true', focusable: 'false', class: 'chart', xmlns: 'http://www.w3.org/2000/svg', 'font-family': 'IBM Plex Sans, Arial, sans-serif' })
    expect(root.children[0]).toMatchObject({ name: 'rect', attributes: { fill: '#fff', width: root.attributes.width, height: root.attributes.height } })
    const lengths = bars(root).map(b => num(b, horizontal ? 'width' : 'height'))
    expect(lengths).toHaveLength(4)
    const perUnit = lengths[0]! / 1234
    expect(perUnit).toBeGreaterThan(0)
    PLACES.forEach((p, i) => { expect(lengths[i]).toBeCloseTo(p.value * perUnit, 0) })
    expect(texts(root).map(t => t.text)).toEqual(expect.arrayContaining(['1.234', '617', '0', '308,5', 'Fremmøder', 'Seniorklubben']))
    expectInside(root)
  })

  it('writes every value Danish style at its bar, under 12 slanted month labels that stay inside', () => {
    const svg = barChartSvg({ bars: [...MONTHS.slice(0, 11), { label: 'december 2025', value: 12345 }], title: 'Fremmøder', horizontal: false })
    const root = parse(svg)
    const values = texts(root).filter(t => /^[\d.]+$/.test(t.text)).map(t => t.text)
    expect(values).toEqual([...MONTHS.slice(0, 11).map(m => String(m.value)), '12.345'])
    expect(texts(root).filter(t => t.attributes.transform?.includes('rotate(-40)'))).toHaveLength(12)
    // 44 px for each bar, or more when a value needs it.
    expect(num(root, 'width')).toBeGreaterThanOrEqual(12 * 44)
    expectInside(root)
  })

  it('escapes a hostile label and title, and shortens a long one with "…" inside the picture', () => {
    const hostile = '</text><script>alert("x")</script> & \'Café\' <b>'
    const long = 'Selvbetjening på borger.dk – find det, du skal bruge, og få hjælp af en pårørende'
    for (const horizontal of [true, false]) {
      const svg = barChartSvg({ bars: [{ label: hostile, value: 3 }, { label: long, value: 5 }], title: 'Antal <&> "tilmeldte"', horizontal })
      expect(svg).not.toContain('<script')
      expect(svg).not.toContain('<b>')
      const root = parse(svg)
      expect(all(root).map(e => e.name)).not.toContain('script')
      const shown = texts(root).map(t => t.text)
      expect(shown).toContain('Antal <&> "tilmeldte"')
      const short = shown.find(t => t.startsWith('Selvbetjening'))
      expect(short).toMatch(/^Selvbetjening.*[^ ]…$/)
      // Shortened to a label column beside 300 px of bars, or to slanted labels under 240 px of bars.
      expect(horizontal ? num(root, 'width') : num(root, 'height')).toBeLessThanOrEqual(480)
      expect(shown.some(t => t.startsWith('</text><script>'))).toBe(true)
      expectInside(root)
    }
  })

  it.each([
    ['one row', [{ label: 'Nye', value: 7 }]],
    ['all zero', [{ label: 'Nye', value: 0 }, { label: 'Har været her før', value: 0 }]],
    ['not a number, infinite and negative', [{ label: 'a', value: Number.NaN }, { label: 'b', value: Infinity }, { label: 'c', value: -4 }, { label: 'd', value: 2 }]],
    ['no rows', []]
  ] as Array<[string, Bar[]]>)('draws %s without NaN and inside the picture', (_name, rows) => {
    for (const horizontal of [true, false]) {
      const svg = barChartSvg({ bars: rows, title: 'Deltagere', horizontal })
      expect(svg).not.toMatch(/NaN|Infinity|undefined/)
      const root = parse(svg)
      expect(bars(root)).toHaveLength(rows.length)
      for (const b of bars(root)) expect(num(b, horizontal ? 'width' : 'height')).toBeGreaterThanOrEqual(0)
      expect(texts(root)).toHaveLength(1 + 2 * rows.length)
      expectInside(root)
    }
  })

  it('estimates text no narrower than Chromium draws it in IBM Plex Sans or Arial, regular or bold', () => {
    // The widest of the four at 15 px, measured with canvas measureText in Chromium.
    const measured: Array<[string, number]> = [
      ['Selvbetjening på borger.dk – find det, du skal bruge', 368.4],
      ['Brædstrup Bibliotek', 144.2],
      ['januar 2025', 84.0],
      ['På venteliste uden plads', 175.1],
      ['12.345', 49.5],
      ['WWWWWWWW', 114.2],
      ['ÆØÅ æøå', 72.5],
      ['iiiiillll', 38.0],
      ['Café & "Læsesal" <#1>', 164.3],
      ['mmmm MMMM', 107.5],
      ['abcdefghijklmnopqrstuvwxyz', 210.0],
      ['ABCDEFGHIJKLMNOPQRSTUVWXYZ', 268.3],
      ['0123456789', 90.0]
    ]
    for (const [text, width] of measured) expect(textWidth(text), text).toBeGreaterThanOrEqual(width)
  })
})

describe('a report table\'s chart', () => {
  const table: ReportTable = {
    id: 'sted',
    title: 'Fremmøde pr. sted',
    columns: ['Sted', 'Fremmøder', 'Deltagere'],
    rows: [['Hovedbiblioteket', 5, 4], ['Brædstrup Bibliotek', 2, 2]],
    chart: { column: 2, horizontal: true }
  }

  it('draws the chosen column, named by its heading', () => {
    const root = parse(barChart(table)!)
    expect(texts(root).map(t => t.text)).toEqual(['Hovedbiblioteket', '4', 'Brædstrup Bibliotek', '2', 'Deltagere'])
  })

  it('is left out for a table without a chart or without rows', () => {
    expect(barChart({ ...table, chart: undefined })).toBeNull()
    expect(barChart({ ...table, rows: [] })).toBeNull()
  })
})
