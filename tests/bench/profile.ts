import { createSqliteDb } from '../../server/db/connection.ts'
import { buildReport } from '../../server/services/report-service.ts'
import { barChart, reportTables } from '../../server/services/report-tables.ts'
import { getCataloguePage } from '../../server/services/class-query-service.ts'
import * as repo from '../../server/repositories/report-repository.ts'
import { spanOf } from '../../server/services/report-service.ts'

const db = createSqliteDb('data/bench/bench.sqlite')
const time = async (label: string, f: () => Promise<unknown>) => { const t = performance.now(); await f(); console.log(label, Math.round(performance.now() - t), 'ms') }
for (let i = 0; i < 2; i++) {
  await time('catalogue', async () => await getCataloguePage(db, {}))
  const period = { from: '2025-01-01', to: '2025-12-31' }
  const span = spanOf(period)
  await time('totals', async () => await repo.countTotals(db, span))
  await time('byMonth', async () => await repo.countByMonth(db, span))
  await time('byTopic', async () => await repo.countByTopic(db, span))
  await time('byLocation', async () => await repo.countByLocation(db, span))
  await time('byPartner', async () => await repo.countByPartner(db, span))
  await time('newReturning', async () => await repo.countNewAndReturning(db, span))
  await time('birthYear', async () => await repo.countByBirthYear(db, span))
  await time('seats', async () => await repo.countSeats(db, span))
  await time('shows', async () => await repo.countShows(db, span, new Date().toISOString()))
  await time('unmet', async () => await repo.countUnmetDemand(db, span))
  await time('volunteers', async () => await repo.listVolunteerMinutes(db, span, new Date().toISOString()))
  const r = await buildReport(db, period)
  await time('charts', async () => { for (const t of reportTables(r)) barChart(t) })
}
await db.destroy()
