// The spreadsheets are read here without exceljs (our writer): the XLSX is unzipped with
// jszip (already installed as exceljs's dependency) and its XML read as the format defines it.
import JSZip from 'jszip'
import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildReport } from '../../server/services/report-service.ts'
import { bookingInput, bookNew, createClass, createStaff } from '../helpers/factories.ts'
import { buildTestApp, signedInAgent, type TestApp } from '../helpers/http.ts'
import { seedReportData } from '../helpers/report-data.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

const ZONE = 'Europe/Copenhagen'
const attr = (xml: string, name: string): string | undefined => new RegExp(`\\s${name}="([^"]*)"`).exec(xml)?.[1]
const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&')

interface XlsxCell { ref: string, type: string | undefined, style: number, value: string | undefined }
interface XlsxSheet { name: string, index: number, xml: string, rows: Map<number, XlsxCell[]> }

/** The workbook's sheets, shared strings resolved, and the number format of each cell style. */
async function readXlsx (body: Buffer) {
  const zip = await JSZip.loadAsync(body)
  const text = async (path: string) => await zip.file(path)?.async('string') ?? ''
  const workbook = await text('xl/workbook.xml')
  const rels = await text('xl/_rels/workbook.xml.rels')
  const shared = [...(await text('xl/sharedStrings.xml')).matchAll(/<si>([\s\S]*?)<\/si>/g)]
    .map(si => unescape([...(si[1] ?? '').matchAll(/<t[^>]*>([\s\S]*?)<\/t>/g)].map(t => t[1]).join('')))
  const styles = await text('xl/styles.xml')
  const customFormats = new Map([...styles.matchAll(/<numFmt [^>]*>/g)].map(m => [Number(attr(m[0], 'numFmtId')), unescape(attr(m[0], 'formatCode') ?? '')]))
  const builtIn: Record<number, string> = { 9: '0%', 10: '0.00%', 14: 'mm-dd-yy', 15: 'd-mmm-yy', 22: 'm/d/yy h:mm' }
  const cellXfs = /<cellXfs[^>]*>([\s\S]*?)<\/cellXfs>/.exec(styles)?.[1] ?? ''
  const formatOfStyle = [...cellXfs.matchAll(/<xf [^>]*>/g)].map(m => {
    const id = Number(attr(m[0], 'numFmtId') ?? 0)
    return customFormats.get(id) ?? builtIn[id] ?? 'General'
  })
  const sheets: XlsxSheet[] = []
  for (const [index, m] of [...workbook.matchAll(/<sheet [^>]*>/g)].entries()) {
    const rid = attr(m[0], 'r:id')
    const rel = [...rels.matchAll(/<Relationship [^>]*>/g)].find(r => attr(r[0], 'Id') === rid)?.[0] ?? ''
    const target = (attr(rel, 'Target') ?? '').replace(/^\/?(xl\/)?/, '')
    const xml = await text(`xl/${target}`)
    const rows = new Map<number, XlsxCell[]>()
    for (const row of xml.matchAll(/<row [^>]*?r="(\d+)"[^>]*>([\s\S]*?)<\/row>/g)) {
      rows.set(Number(row[1]), [...(row[2] ?? '').matchAll(/<c ([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)].map(c => {
        const type = attr(` ${c[1]}`, 't')
        const raw = /<v>([\s\S]*?)<\/v>/.exec(c[2] ?? '')?.[1] ?? /<t[^>]*>([\s\S]*?)<\/t>/.exec(c[2] ?? '')?.[1]
        return { ref: attr(` ${c[1]}`, 'r') ?? '', type, style: Number(attr(` ${c[1]}`, 's') ?? 0), value: type === 's' ? shared[Number(raw)] : raw === undefined ? undefined : unescape(raw) }
      }))
    }
    sheets.push({ name: unescape(attr(m[0], 'name') ?? ''), index, xml, rows })
  }
  return { workbook, sheets, formatOfStyle }
}

const rowTexts = (cells: XlsxCell[]) => cells.map(c => c.value ?? '')
const excelSerial = (isoDate: string) => (Date.parse(`${isoDate}T00:00:00Z`) - Date.UTC(1899, 11, 30)) / 86_400_000

/** A plain reader of Excel's CSV: semicolons, double quotes, CRLF records. */
function readCsv (text: string): string[][] {
  const records: string[][] = []
  let field = ''
  let record: string[] = []
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++ } else if (ch === '"') quoted = false
      else field += ch
    } else if (ch === '"') quoted = true
    else if (ch === ';') { record.push(field); field = '' } else if (ch === '\r' && text[i + 1] === '\n') { record.push(field); records.push(record); record = []; field = ''; i++ } else field += ch
  }
  if (field !== '' || record.length > 0) { record.push(field); records.push(record) }
  return records
}

describe('spreadsheets read by other programs', () => {
  let t: TestApp
  let leader: Awaited<ReturnType<typeof signedInAgent>>
  beforeAll(async () => {
    t = await buildTestApp()
    leader = await signedInAgent(t.app, await createStaff(t.db, 'leader'))
  })
  afterAll(async () => { await t.app.close() })

  it('writes shares as numbers with a percent format, dates as dates with a year, and prints each sheet fitted, with its header repeated and frozen', async () => {
    await seedReportData(t.db)
    const report = await buildReport(t.db, { from: '2025-01-01', to: '2025-12-31' })
    const milestone = report.milestones[0]
    expect(milestone).toBeDefined()
    const reachedOn = DateTime.fromISO(milestone!.reachedAt, { zone: 'utc' }).setZone(ZONE)

    const res = await leader.get('/personale/rapporter/rapport.xlsx?fra=2025-01-01&til=2025-12-31').buffer(true).parse((stream, done) => {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => { done(null, Buffer.concat(chunks)) })
    }).expect(200)
    const { workbook, sheets, formatOfStyle } = await readXlsx(res.body as Buffer)
    const isPercent = (style: number) => /%/.test(formatOfStyle[style] ?? '')
    const isDate = (style: number) => /y/i.test(formatOfStyle[style] ?? '') && /d/i.test(formatOfStyle[style] ?? '') && !/%/.test(formatOfStyle[style] ?? '')
    const sheet = (name: string) => { const s = sheets.find(x => x.name === name); expect(s, name).toBeDefined(); return s! }

    // The fill rate: 6 of 9 seats, as a number, not the text "67 %".
    const seats = sheet('Belægning pr. sted')
    const total = [...seats.rows.values()].find(cells => cells[0]?.value === 'I alt')!
    const rate = total[4]!
    expect(rate.type === undefined || rate.type === 'n', 'a number cell').toBe(true)
    expect(Number(rate.value)).toBeCloseTo(6 / 9, 6)
    expect(isPercent(rate.style), formatOfStyle[rate.style]).toBe(true)
    const key = [...sheet('Nøgletal').rows.values()].find(cells => cells[0]?.value === 'Belægning')!
    expect(Number(key[1]!.value)).toBeCloseTo(6 / 9, 6)
    expect(isPercent(key[1]!.style)).toBe(true)

    // The milestone's date is a date cell (Copenhagen's day), shown with its year.
    const milestones = sheet('Milepæle')
    const reached = [...milestones.rows.values()].find(cells => cells[0]?.value?.startsWith('Deltager nr.'))!
    expect(reached[1]!.type === undefined || reached[1]!.type === 'n', 'a number cell').toBe(true)
    expect(Number(reached[1]!.value)).toBe(excelSerial(reachedOn.toISODate()!))
    expect(isDate(reached[1]!.style), formatOfStyle[reached[1]!.style]).toBe(true)

    // Printing: every sheet fits the page's width, wide ones lie down; the header row repeats and is frozen.
    for (const s of sheets) {
      const headerRow = [...s.rows.entries()].find(([, cells]) => cells.length > 1 && cells.every(c => c.type === 's' || c.type === 'inlineStr') && cells[1]?.value !== '')
      expect(headerRow, s.name).toBeDefined()
      const [n, cells] = headerRow!
      expect(s.xml, s.name).toMatch(/<sheetPr>[\s\S]*<pageSetUpPr fitToPage="1"\/>[\s\S]*<\/sheetPr>/)
      const pageSetup = /<pageSetup [^>]*>/.exec(s.xml)?.[0] ?? ''
      expect(attr(pageSetup, 'fitToWidth'), s.name).toBe('1')
      expect(attr(pageSetup, 'fitToHeight'), s.name).toBe('0')
      expect(attr(pageSetup, 'orientation'), s.name).toBe(cells.length >= 4 ? 'landscape' : 'portrait')
      const pane = /<pane [^>]*>/.exec(s.xml)?.[0] ?? ''
      expect(attr(pane, 'ySplit'), s.name).toBe(String(n))
      expect(attr(pane, 'state'), s.name).toBe('frozen')
      const titles = [...workbook.matchAll(/<definedName ([^>]*)>([^<]*)<\/definedName>/g)].find(d => attr(` ${d[1]}`, 'name') === '_xlnm.Print_Titles' && attr(` ${d[1]}`, 'localSheetId') === String(s.index))
      expect(titles?.[2], s.name).toMatch(new RegExp(`!\\$${n}:\\$${n}$`))
    }
    expect(rowTexts(seats.rows.get(Number(/<pane [^>]*ySplit="(\d+)"/.exec(seats.xml)?.[1]))!)).toEqual(['Sted', 'Hold', 'Pladser', 'Optaget', 'Belægning'])

    // The page and the CSV give the milestone's year.
    const year = String(reachedOn.year)
    const page = await leader.get('/personale/rapporter?fra=2025-01-01&til=2025-12-31').expect(200)
    const section = /aria-labelledby="t-milepaele">([\s\S]*?)<\/section>/.exec(page.text)?.[1] ?? ''
    expect(section).toContain(`${reachedOn.setLocale('da').toFormat('d. MMMM')} ${year}`)
    const csv = await leader.get('/personale/rapporter/rapport.csv?fra=2025-01-01&til=2025-12-31').expect(200)
    const records = readCsv(csv.text.replace(/^\uFEFF/, ''))
    expect(records.find(r => r[0]?.startsWith('Deltager nr.'))?.[1]).toBe(reachedOn.toISODate())
  })

  it('exports the no-show tables per course, place and month and the refilled seats, read back by both parsers', async () => {
    // seedReportData (run by the first test) has no-shows only in March 2025: Carl twice, Bo once.
    const query = 'fra=2025-01-01&til=2025-12-31'
    const csv = readCsv((await leader.get(`/personale/rapporter/rapport.csv?${query}`).expect(200)).text.replace(/^\uFEFF/, ''))
    const tableAt = (title: string) => { const at = csv.findIndex(r => r[0] === title); expect(at, title).toBeGreaterThan(0); return at }
    const month = tableAt('Udeblevne pr. måned')
    const header = csv.findIndex((r, i) => i > month && r[0] === 'Måned')
    expect(csv[header]).toEqual(['Måned', 'Tilmeldte pladser', 'Mødt', 'Udeblevet', 'Andel udeblevet'])
    expect(csv.slice(header + 1, header + 5)).toEqual([['marts 2025', '6', '3', '3', '50 %'], ['juni 2025', '2', '2', '0', '0 %'], ['december 2025', '1', '1', '0', '0 %'], ['I alt', '9', '6', '3', '33 %']])
    tableAt('Udeblevne pr. kursus')
    tableAt('Udeblevne pr. sted')
    const refill = tableAt('Afmeldte pladser besat igen')
    expect(csv.find((r, i) => i > refill && r[0] === 'Sted')).toEqual(['Sted', 'Afmeldte pladser', 'Besat igen', 'Heraf tilbud', 'Heraf automatisk oprykning', 'Heraf ringeliste', 'Heraf uden tilmelding', 'Andel besat igen'])

    const res = await leader.get(`/personale/rapporter/rapport.xlsx?${query}`).buffer(true).parse((stream, done) => {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => { done(null, Buffer.concat(chunks)) })
    }).expect(200)
    const { sheets } = await readXlsx(res.body as Buffer)
    const byMonth = sheets.find(x => x.name === 'Udeblevne pr. måned')
    expect(byMonth).toBeDefined()
    const march = [...byMonth!.rows.values()].find(cells => cells[0]?.value === 'marts 2025')!
    expect(rowTexts(march).slice(0, 4)).toEqual(['marts 2025', '6', '3', '3'])
    expect(Number(march[4]!.value)).toBeCloseTo(0.5, 6)
    for (const name of ['Udeblevne pr. kursus', 'Udeblevne pr. sted', 'Afmeldte pladser besat igen']) expect(sheets.some(x => x.name === name), name).toBe(true)
  })

  it('gives the participant CSV the booking time in Copenhagen, in a form Excel reads as a date, with the report CSV\'s conventions', async () => {
    const id = await createClass(t.db, { capacity: 1, meetings: ['2030-08-05T10:00'] })
    await bookNew(t.db, CITIZEN, id, bookingInput({ name: 'Vinter Hansen', phone: '+4533000001' }), { source: 'online', now: new Date('2030-03-05T09:00:00Z') })
    await bookNew(t.db, CITIZEN, id, bookingInput({ name: 'Sommer Jensen', phone: '+4533000002' }), { source: 'online', now: new Date('2030-06-05T08:30:00Z') })
    const res = await leader.get(`/personale/hold/${id}/deltagere.csv`).expect(200)
    expect(res.text.charCodeAt(0)).toBe(0xFEFF)
    const body = res.text.slice(1)
    expect(body.endsWith('\r\n')).toBe(true)
    expect(body.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
    const [header, ...rows] = readCsv(body)
    const at = header!.indexOf('Tilmeldt')
    expect(at).toBeGreaterThan(0)
    expect(rows.map(r => [r[0], r[at]])).toEqual([['Vinter Hansen', '2030-03-05 10:00'], ['Sommer Jensen', '2030-06-05 10:30']])
  })
})
