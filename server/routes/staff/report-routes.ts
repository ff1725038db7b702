import type { FastifyPluginAsync } from 'fastify'
import { DateTime } from 'luxon'
import { ZONE } from '../../domain/time.ts'
import { type Period, readPeriod } from '../../services/report-service.ts'
import { reportCsv, reportXlsx } from '../../services/report-tables.ts'
import { queryString } from '../params.ts'

/** Reports for the municipality: the dashboard, the printable period report, CSV and XLSX. */
const reportRoutes: FastifyPluginAsync = async (fastify) => {
  const leader = { config: { role: 'leader' } } as const
  const reportOf = async (period: Period) => await fastify.readCache.reports.get(period)

  /** The period of a download, or the Danish message for a bad one. */
  const downloadPeriod = (query: unknown): Period | string => {
    const { period, error } = readPeriod(queryString(query, 'fra'), queryString(query, 'til'))
    return error ? `${error} Gå tilbage til rapporten, og ret perioden.` : period
  }

  fastify.get('/personale/rapporter', leader, async (request, reply) => {
    const { period, error } = readPeriod(queryString(request.query, 'fra'), queryString(request.query, 'til'))
    const { report, tables } = await reportOf(period)
    const today = DateTime.now().setZone(ZONE)
    const lastYear = today.minus({ years: 1 })
    const quick = [
      { label: `I år (${today.year})`, from: today.startOf('year').toISODate(), to: today.toISODate() },
      { label: `Sidste år (${lastYear.year})`, from: lastYear.startOf('year').toISODate(), to: lastYear.endOf('year').toISODate() },
      { label: 'Sidste 12 måneder', from: today.minus({ months: 12 }).plus({ days: 1 }).toISODate(), to: today.toISODate() }
    ]
    const query = `fra=${period.from}&til=${period.to}`
    const long = (d: string) => DateTime.fromISO(d, { zone: ZONE }).setLocale('da').toFormat('d. MMMM yyyy')
    reply.code(error ? 400 : 200)
    return await reply.viewAsync('staff/reports', { title: 'Rapporter', periodLabel: `${long(period.from)} til ${long(period.to)}`, report, tables, quick, query, error, values: { fra: queryString(request.query, 'fra') ?? period.from, til: queryString(request.query, 'til') ?? period.to } })
  })

  fastify.get('/personale/rapporter/rapport.csv', leader, async (request, reply) => {
    const period = downloadPeriod(request.query)
    if (typeof period === 'string') return await reply.code(400).type('text/plain; charset=utf-8').send(period)
    const { report } = await reportOf(period)
    return await reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="rapport-${period.from}-${period.to}.csv"`)
      .send(reportCsv(report, fastify.config.organisationName))
  })

  fastify.get('/personale/rapporter/rapport.xlsx', leader, async (request, reply) => {
    const period = downloadPeriod(request.query)
    if (typeof period === 'string') return await reply.code(400).type('text/plain; charset=utf-8').send(period)
    const { report } = await reportOf(period)
    return await reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', `attachment; filename="rapport-${period.from}-${period.to}.xlsx"`)
      .send(await reportXlsx(report, fastify.config.organisationName))
  })
}

export default reportRoutes
