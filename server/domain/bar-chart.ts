/**
 * A bar chart as SVG, written as text: bars in one colour, the value written at each bar
 * (so the picture never depends on colour), the category labels and what the amounts are.
 * The reports page shows one beside each table; it is decoration for sighted readers
 * (aria-hidden), and the table carries the numbers for everyone.
 *
 * The server has no font metrics, so text widths are estimated per character, never
 * narrower than IBM Plex Sans or Arial draw them: a label too long for its place is
 * shortened with "…", and nothing is drawn outside the picture.
 */

export interface Bar { label: string, value: number }

export interface BarChart {
  /** One bar per entry, in this order. */
  bars: Bar[]
  /** What the values count ("Fremmøder"). */
  title: string
  /** Bars to the right with the labels before them; otherwise bars upward with the labels under them. */
  horizontal: boolean
}

/** Labels, values and the title, in px. */
export const FONT_SIZE = 15
const FONT = 'IBM Plex Sans, Arial, sans-serif'
const BAR_COLOUR = '#0059b3'
const INK = '#1a1a1a'
/** Space for one bar, across the bars. */
const STEP = 44
/** Horizontal: the longest bar with its value. */
const PLOT_WIDTH = 300
/** Horizontal: labels longer than this are shortened. */
const LABEL_WIDTH = 160
/** Vertical: the height of the bars' area, the value over the tallest bar included. */
const PLOT_HEIGHT = 240
/** Vertical: a slanted label longer than this is shortened. */
const SLANTED_WIDTH = 140
const SLANT = 40
const PAD = 4
/** From a bar to the text beside it. */
const GAP = 6
/** Horizontal: from the labels to the bars. */
const LABEL_GAP = 10

/**
 * Widths in em, rounded up from the wider of IBM Plex Sans and Arial as Chromium measures
 * them; outside Latin, a full em.
 */
function emWidth (ch: string): number {
  if ('ijl.,:;\'! '.includes(ch)) return 0.3
  if ('ftrI()[]-/|'.includes(ch)) return 0.4
  if ('csvxyzJ"'.includes(ch)) return 0.52
  if ('GOQØw'.includes(ch)) return 0.78
  if ('mMæ%'.includes(ch)) return 0.89
  if ('WÆ@…—'.includes(ch)) return 1.02
  if (/\p{Lu}/u.test(ch) || '&#'.includes(ch)) return 0.72
  return ch.codePointAt(0)! <= 0x24f || '–‘’“”«»'.includes(ch) ? 0.61 : 1
}

/** The estimated width of a text in px: never less than it is drawn. */
export function textWidth (text: string): number {
  let em = 0
  for (const ch of text) em += emWidth(ch)
  return em * FONT_SIZE
}

/** The text itself if it fits in `width` px, or as much as fits followed by "…". */
function shortened (text: string, width: number): string {
  if (textWidth(text) <= width) return text
  let kept = ''
  let used = textWidth('…')
  for (const ch of text) {
    used += emWidth(ch) * FONT_SIZE
    if (used > width) break
    kept += ch
  }
  return `${kept.trimEnd()}…`
}

/** Text for XML: the five special characters escaped, characters XML does not allow left out. */
function xml (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[&<>"']/g, ch => `&#${ch.charCodeAt(0)};`)
}

/** One line, as a text in SVG is. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim()

/** A coordinate to a tenth of a pixel. */
const at = (n: number) => String(Math.round(n * 10) / 10)

const number = (value: number) => value.toLocaleString('da-DK')

interface Drawing { width: number, height: number, body: string[] }

function text (x: number, y: number, content: string, extra = ''): string {
  return `<text x="${at(x)}" y="${at(y)}"${extra}>${xml(content)}</text>`
}

/** Moves a text's baseline so that the text's middle is at y. */
const middle = (y: number) => y + FONT_SIZE * 0.35

function horizontalChart (bars: Bar[], values: string[], title: string, largest: number): Drawing {
  const labels = bars.map(b => shortened(b.label, LABEL_WIDTH))
  const labelsEnd = PAD + Math.max(0, ...labels.map(l => textWidth(l)))
  const plotLeft = labelsEnd + LABEL_GAP
  const longest = Math.max(0, PLOT_WIDTH - GAP - Math.max(0, ...values.map(v => textWidth(v))))
  const scale = largest > 0 ? longest / largest : 0
  const plotHeight = Math.max(100, bars.length * STEP)
  const row = plotHeight / Math.max(1, bars.length)
  const thickness = Math.min(row - 14, 30)
  const body = bars.flatMap((bar, i) => {
    const centre = PAD + row * (i + 0.5)
    const length = Math.max(0, bar.value) * scale
    return [
      `<rect x="${at(plotLeft)}" y="${at(centre - thickness / 2)}" width="${at(length)}" height="${at(thickness)}" fill="${BAR_COLOUR}"/>`,
      text(labelsEnd, middle(centre), labels[i]!, ' text-anchor="end"'),
      text(plotLeft + length + GAP, middle(centre), values[i]!)
    ]
  })
  const bottom = PAD + plotHeight
  body.push(`<path d="M${at(plotLeft - 0.5)} ${PAD}V${at(bottom)}" fill="none" stroke="${INK}"/>`)
  body.push(text(plotLeft, bottom + 8 + FONT_SIZE, shortened(title, PLOT_WIDTH), ' font-weight="600"'))
  return { width: Math.ceil(plotLeft + PLOT_WIDTH + PAD), height: Math.ceil(bottom + 14 + FONT_SIZE), body }
}

function verticalChart (bars: Bar[], values: string[], title: string, largest: number): Drawing {
  const step = Math.max(STEP, ...values.map(v => textWidth(v) + GAP))
  const plotWidth = Math.max(240, bars.length * step)
  const slot = plotWidth / Math.max(1, bars.length)
  const thickness = Math.min(slot - 14, 40)
  // Labels lie flat when each fits under its bar; if not, they all slant, each ending under its bar.
  const flat = bars.every(b => textWidth(b.label) <= slot - GAP)
  const labels = flat ? bars.map(b => b.label) : bars.map(b => shortened(b.label, SLANTED_WIDTH))
  const sin = Math.sin(SLANT * Math.PI / 180)
  const cos = Math.cos(SLANT * Math.PI / 180)
  // The first slanted label reaches left of its bar by its length across, plus its height.
  const overhang = flat ? 0 : textWidth(labels[0] ?? '') * cos + FONT_SIZE * 0.75 * sin - slot / 2
  const plotLeft = PAD + Math.max(0, overhang)
  const plotTop = PAD + FONT_SIZE + 10
  const bottom = plotTop + PLOT_HEIGHT
  const scale = largest > 0 ? (PLOT_HEIGHT - FONT_SIZE - 2 * GAP) / largest : 0
  const width = Math.ceil(plotLeft + plotWidth + PAD)
  const body = bars.flatMap((bar, i) => {
    const centre = plotLeft + slot * (i + 0.5)
    const length = Math.max(0, bar.value) * scale
    const label = flat
      ? text(centre, bottom + 6 + FONT_SIZE, labels[i]!, ' text-anchor="middle"')
      : `<text transform="translate(${at(centre)} ${at(bottom + 14)}) rotate(-${SLANT})" text-anchor="end">${xml(labels[i]!)}</text>`
    return [
      `<rect x="${at(centre - thickness / 2)}" y="${at(bottom - length)}" width="${at(thickness)}" height="${at(length)}" fill="${BAR_COLOUR}"/>`,
      text(centre, bottom - length - GAP, values[i]!, ' text-anchor="middle"'),
      label
    ]
  })
  body.push(`<path d="M${at(plotLeft)} ${at(bottom + 0.5)}H${at(plotLeft + plotWidth)}" fill="none" stroke="${INK}"/>`)
  body.push(text(PAD, PAD + FONT_SIZE, shortened(title, width - 2 * PAD), ' font-weight="600"'))
  const below = flat
    ? 6 + FONT_SIZE * 1.25
    : 14 + Math.max(0, ...labels.map(l => textWidth(l))) * sin + FONT_SIZE * 0.25 * cos
  return { width, height: Math.ceil(bottom + below + PAD), body }
}

/** The chart as one `<svg class="chart">` element, to put in a page as it is. */
export function barChartSvg ({ bars, title, horizontal }: BarChart): string {
  const safe = bars.map(b => ({ label: oneLine(b.label), value: Number.isFinite(b.value) ? b.value : 0 }))
  const values = safe.map(b => number(b.value))
  const largest = Math.max(0, ...safe.map(b => b.value))
  const { width, height, body } = (horizontal ? horizontalChart : verticalChart)(safe, values, oneLine(title), largest)
  return `<svg aria-hidden="true" focusable="false" class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="${FONT_SIZE}" fill="${INK}">` +
    `<rect width="${width}" height="${height}" fill="#fff"/>${body.join('')}</svg>`
}
