import { DateTime } from 'luxon'
import { barChartSvg } from '../domain/bar-chart.ts'
import { excelCsv } from '../domain/csv.ts'
import { ZONE, formatFullDate, formatTime, spreadsheetDate } from '../domain/time.ts'
import type { Db } from '../db/connection.ts'
import { type NoShowRow, type Period, type RefillRow, type Report, buildReport, formatRate } from './report-service.ts'

/** A share from 0 to 1 (null: nothing to divide by); a spreadsheet gets the number, a page "67 %". */
export interface Share { share: number | null }
/** A day, as a stored UTC time; everywhere shown as the Copenhagen date with its year. */
export interface Day { day: string }
export type Cell = string | number | Share | Day

const isShare = (cell: Cell): cell is Share => typeof cell === 'object' && 'share' in cell
const isDay = (cell: Cell): cell is Day => typeof cell === 'object' && 'day' in cell

/** A cell as a page shows it: numbers stay numbers (the page formats them), shares and days become text. */
export function cellText (cell: Cell): string | number {
  if (isShare(cell)) return formatRate(cell.share)
  if (isDay(cell)) return formatFullDate(cell.day)
  return cell
}

/** A cell as a CSV holds it: a day in the form spreadsheets read as a date. */
const csvCell = (cell: Cell): string | number => isDay(cell) ? spreadsheetDate(cell.day) : cellText(cell)

/** One table of the report: the page, the CSV and the XLSX are all made from these. */
export interface ReportTable {
  id: string
  title: string
  /** What the numbers mean, in one sentence. */
  note?: string
  columns: string[]
  rows: Cell[][]
  total?: Cell[]
  /** Draw a bar chart of this column (index) beside the table. */
  chart?: { column: number, horizontal: boolean }
}

const pct = (share: number | null): Share => ({ share })

const NO_SHOW_NOTE = 'Udeblevet: en tilmeldt plads ved en mødegang, hvor deltageren ikke blev registreret, når mødegangens dag er gået. Hver deltager tæller én gang pr. mødegang. Afmeldte pladser og deltagere, der kom uden tilmelding, er ikke med.'

/** No-shows per course, place and month, and freed seats filled again (domain/no-shows.ts). */
function noShowTables (r: Report): ReportTable[] {
  const columns = ['Tilmeldte pladser', 'Mødt', 'Udeblevet', 'Andel udeblevet']
  const cells = (s: NoShowRow): Cell[] => [s.label, s.booked, s.attended, s.noShows, pct(s.noShowRate)]
  const t = r.noShows.total
  const refill = (x: RefillRow): Cell[] => [x.label, x.freed, x.refilled, x.byKind.offer, x.byKind.auto, x.byKind.call, x.byKind.walkin, pct(x.share)]
  return [
    { id: 'udeblevet-kursus', title: 'Udeblevne pr. kursus', note: NO_SHOW_NOTE, columns: ['Kursus', ...columns], rows: r.noShows.byCourse.map(cells), total: cells(t) },
    { id: 'udeblevet', title: 'Udeblevne pr. sted', note: NO_SHOW_NOTE, columns: ['Sted', ...columns], rows: r.noShows.byPlace.map(cells), total: cells(t) },
    { id: 'udeblevet-maaned', title: 'Udeblevne pr. måned', note: NO_SHOW_NOTE, columns: ['Måned', ...columns], rows: r.noShows.byMonth.map(cells), total: cells(t) },
    {
      id: 'genbesat',
      title: 'Afmeldte pladser besat igen',
      note: 'Pladser afmeldt før holdets start (ikke aflyste hold), og besat igen, når en fra ventelisten fik plads før starten, eller en kom uden tilmelding til første mødegang. Hold, der begynder i perioden. Pladser fra ventelisten fra før, vi noterede hvordan, tælles som automatisk oprykning.',
      columns: ['Sted', 'Afmeldte pladser', 'Besat igen', 'Heraf tilbud', 'Heraf automatisk oprykning', 'Heraf ringeliste', 'Heraf uden tilmelding', 'Andel besat igen'],
      rows: r.refills.rows.map(refill),
      total: refill(r.refills.total)
    }
  ]
}

/** Every table of a report, in the order they are shown and exported. */
export function reportTables (r: Report): ReportTable[] {
  const counted = (rows: Report['byMonth']) => rows.map(x => [x.label, x.attendances, x.participants])
  return [
    {
      id: 'noegletal',
      title: 'Nøgletal',
      columns: ['', 'Antal'],
      rows: [
        ['Fremmøder', r.totals.attendances],
        ['Heraf deltagere, der kom uden tilmelding', r.totals.walkIns],
        ['Deltagere (hver person én gang)', r.totals.participants],
        ['Nye deltagere (første gang i perioden)', r.totals.newParticipants],
        ['Deltagere, der har været her før', r.totals.returningParticipants],
        ['Hold i perioden', r.seats.classes],
        ['Belægning', pct(r.seats.fillRate)],
        ['Udeblevet fra tilmeldte pladser', pct(r.noShows.total.noShowRate)],
        ['Afmeldte pladser, der blev besat igen', pct(r.refills.total.share)],
        ['Kunne ikke få plads (venteliste)', r.unmetDemand.waiting],
        ['Frivillige og undervisere, timer', r.volunteers.hours]
      ]
    },
    {
      id: 'maaned',
      title: 'Fremmøde pr. måned',
      note: 'Deltagere tælles én gang pr. måned; en person, der kom i flere måneder, står i hver af dem.',
      columns: ['Måned', 'Fremmøder', 'Deltagere'],
      rows: counted(r.byMonth),
      total: ['I alt', r.totals.attendances, r.totals.participants],
      chart: { column: 1, horizontal: false }
    },
    {
      id: 'emne',
      title: 'Fremmøde pr. emne',
      columns: ['Emne', 'Fremmøder', 'Deltagere'],
      rows: counted(r.byTopic),
      total: ['I alt', r.totals.attendances, r.totals.participants],
      chart: { column: 1, horizontal: true }
    },
    {
      id: 'sted',
      title: 'Fremmøde pr. sted',
      columns: ['Sted', 'Fremmøder', 'Deltagere'],
      rows: counted(r.byLocation),
      total: ['I alt', r.totals.attendances, r.totals.participants],
      chart: { column: 1, horizontal: true }
    },
    {
      id: 'partner',
      title: 'Fremmøde pr. partner',
      columns: ['Partner', 'Fremmøder', 'Deltagere'],
      rows: counted(r.byPartner),
      total: ['I alt', r.totals.attendances, r.totals.participants]
    },
    {
      id: 'nye',
      title: 'Nye og tilbagevendende deltagere',
      note: 'Ny: første fremmøde nogensinde ligger i perioden.',
      columns: ['', 'Deltagere'],
      rows: [['Nye', r.totals.newParticipants], ['Har været her før', r.totals.returningParticipants]],
      total: ['I alt', r.totals.participants],
      chart: { column: 1, horizontal: true }
    },
    {
      id: 'alder',
      title: 'Deltagere efter alder',
      note: `Alder i ${r.period.to.slice(0, 4)} ud fra fødselsåret, for dem, der har oplyst det.`,
      columns: ['Alder', 'Deltagere'],
      rows: r.ageBands.map(a => [a.label, a.participants]),
      total: ['I alt', r.totals.participants],
      chart: { column: 1, horizontal: true }
    },
    {
      id: 'belaegning',
      title: 'Belægning pr. sted',
      note: 'Hold, hvis første mødegang ligger i perioden. Aflyste hold er ikke med.',
      columns: ['Sted', 'Hold', 'Pladser', 'Optaget', 'Belægning'],
      rows: r.seats.rows.map(s => [s.label, s.classes, s.capacity, s.taken, pct(s.fillRate)]),
      total: ['I alt', r.seats.classes, r.seats.capacity, r.seats.taken, pct(r.seats.fillRate)]
    },
    ...noShowTables(r),
    {
      id: 'venteliste',
      title: 'Kunne ikke få plads, pr. kursus',
      note: 'Tilmeldinger, der aldrig fik en plads. Et tegn på, at der skal flere hold til.',
      columns: ['Kursus', 'Hold', 'På venteliste uden plads'],
      rows: r.unmetDemand.rows.map(u => [u.label, u.classes, u.waiting]),
      total: ['I alt', '', r.unmetDemand.waiting],
      chart: { column: 2, horizontal: true }
    },
    {
      id: 'frivillige',
      title: 'Frivillige og undervisere',
      note: 'Timer ved mødegange, der er afholdt i perioden.',
      columns: ['Navn', 'Opgave', 'Mødegange', 'Timer'],
      rows: r.volunteers.rows.map(v => [v.name, v.task, v.meetings, v.hours]),
      total: ['I alt', `${r.volunteers.people} personer`, r.volunteers.rows.reduce((n, v) => n + v.meetings, 0), r.volunteers.hours]
    },
    {
      id: 'milepaele',
      title: 'Milepæle',
      columns: ['Milepæl', 'Dato', 'Sted', 'Kursus'],
      rows: r.milestones.map(m => [`Deltager nr. ${m.number.toLocaleString('da-DK')} ${m.scopeLabel}`, { day: m.reachedAt }, m.locationName, m.courseTitle])
    }
  ]
}

/** The table's bar chart as SVG (domain/bar-chart.ts), or null when it has none or no rows. */
export function barChart (table: ReportTable): string | null {
  if (!table.chart || table.rows.length === 0) return null
  const { column, horizontal } = table.chart
  const bars = table.rows.map(row => ({ label: String(cellText(row[0] ?? '')), value: Number(row[column]) || 0 }))
  return barChartSvg({ bars, title: table.columns[column] ?? '', horizontal })
}

const fileTitle = (r: Report) => `Rapport ${r.period.from} til ${r.period.to}`

/** "fredag 22. november 2024 kl. 10.00": with the year, whenever the report is read. */
const madeAt = (r: Report) => `Lavet ${formatFullDate(r.generatedAt)} kl. ${formatTime(r.generatedAt)}`

/** The report as CSV for Excel, one block per table. */
export function reportCsv (report: Report, organisation: string): string {
  const lines: Array<Array<string | number>> = [[organisation], [fileTitle(report)], [madeAt(report)], []]
  for (const t of reportTables(report)) {
    lines.push([t.title], t.columns, ...t.rows.map(row => row.map(csvCell)))
    if (t.total) lines.push(t.total.map(csvCell))
    lines.push([])
  }
  return excelCsv(lines)
}

/** An Excel cell value: a share stays a number (its format shows "%"), a day is a date at midnight of its Copenhagen day. */
function xlsxValue (cell: Cell): string | number | Date {
  if (isShare(cell)) return cell.share ?? '–'
  if (isDay(cell)) {
    const local = DateTime.fromISO(cell.day, { zone: 'utc' }).setZone(ZONE)
    // Excel's dates have no zone: exceljs writes a Date's UTC day, so give it the local one.
    return new Date(Date.UTC(local.year, local.month - 1, local.day))
  }
  return cell
}

const PERCENT = '0.0 %'
const DATE = 'dd-mm-yyyy'

/** The report as an Excel workbook: an overview sheet, then one sheet per table. */
export async function reportXlsx (report: Report, organisation: string): Promise<Buffer> {
  // Loaded on first use: it is large, and only the download needs it.
  const { default: ExcelJS } = await import('exceljs')
  const book = new ExcelJS.Workbook()
  book.creator = organisation
  book.created = new Date(report.generatedAt)
  for (const t of reportTables(report)) {
    // The header row comes after the title, the line below it, the note and a blank line.
    const headerRow = t.note ? 5 : 4
    const sheet = book.addWorksheet(t.title.slice(0, 31).replace(/[[\]*?/\\:]/g, ''), {
      // Printed: as wide as the page (as many pages down as it takes), lying down when the
      // columns would not fit upright (44 + 18 per column), and the header on every page.
      pageSetup: { paperSize: 9, orientation: t.columns.length >= 4 ? 'landscape' : 'portrait', fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: `${headerRow}:${headerRow}` },
      // On screen: the header stays in view while scrolling.
      views: [{ state: 'frozen', ySplit: headerRow, xSplit: 0 }]
    })
    sheet.addRow([t.title]).font = { bold: true, size: 14 }
    sheet.addRow([`${organisation} · ${fileTitle(report)}`])
    if (t.note) sheet.addRow([t.note])
    sheet.addRow([])
    sheet.addRow(t.columns).font = { bold: true }
    for (const cells of [...t.rows, ...(t.total ? [t.total] : [])]) {
      const row = sheet.addRow(cells.map(xlsxValue))
      cells.forEach((cell, i) => {
        if (isShare(cell) && cell.share !== null) row.getCell(i + 1).numFmt = PERCENT
        if (isDay(cell)) row.getCell(i + 1).numFmt = DATE
      })
      if (cells === t.total) row.font = { bold: true }
    }
    sheet.columns.forEach((col, i) => { col.width = i === 0 ? 44 : 18 })
  }
  return Buffer.from(await book.xlsx.writeBuffer())
}

/** A report as the reports page shows it: the numbers, and each table as text with its chart. */
export interface ReportPage { report: Report, tables: Array<ReportTable & { svg: string | null }> }

export async function buildReportPage (db: Db, period: Period): Promise<ReportPage> {
  const report = await buildReport(db, period)
  // The page shows shares and days as text ("67 %", "fredag 22. november 2025").
  const shown = (cells: Cell[]) => cells.map(cellText)
  return { report, tables: reportTables(report).map(t => ({ ...t, rows: t.rows.map(shown), total: t.total && shown(t.total), svg: barChart(t) })) }
}
