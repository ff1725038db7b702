import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import autocannon from 'autocannon'
import SQLite from 'better-sqlite3'
import { DateTime } from 'luxon'
import { type Db, createPostgresDb, createSqliteDb } from '../../server/db/connection.ts'
import { copySqliteToPostgres } from '../../server/cli/copy-database.ts'
import { SYSTEM } from '../../server/domain/actor.ts'
import { ZONE } from '../../server/domain/time.ts'
import { runRetentionIfDue } from '../../server/services/privacy-service.ts'
import { createStaffUser } from '../../server/services/staff-service.ts'
import { freePort } from '../helpers/smtp.ts'
import { root } from '../helpers/server-process.ts'
import { type PostgresServer, databaseUrl, externalServer, startThrowawayCluster, withAdmin } from '../helpers/postgres.ts'
import { generateDataset } from './dataset.ts'

/**
 * `npm run bench`: builds the benchmark data set, starts the compiled server in
 * production mode as `npm start` does (plain node on dist/, which `npm run bench` builds
 * first) and a bare baseline server, drives both with autocannon from this machine, and
 * prints a table: req/s, p50 and p99 latency, the ratio to the baseline, and the target.
 * Each baseline is driven exactly as the scenario it is compared with: pages for the
 * same 8 seconds at 50 connections, the insert route with the same 2,000 posts at 200
 * connections, both rates counted as answers over the time from the start to the last
 * answer. Targets are printed, never asserted: these machines are shared and noisy.
 * `npm run bench -- --postgres` runs the same on PostgreSQL: the data set is copied with
 * db:copy into a throwaway cluster (or the empty database BENCH_DATABASE_URL names). The
 * same server on the SQLite file is driven in the same run, right after PostgreSQL's
 * pages and its rush, for the comparison between the two.
 */
const onPostgres = process.argv.includes('--postgres') || Boolean(process.env.BENCH_DATABASE_URL)
const dir = join(root, 'data', 'bench')
mkdirSync(dir, { recursive: true })
const file = join(dir, 'bench.sqlite')
for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })

console.log('Generating the data set (10 places, 200 upcoming classes, 50,000 participants, 300,000 attendances) …')
let t0 = Date.now()
const data = await generateDataset(file)
const kysely = createSqliteDb(file)
await createStaffUser(kysely, SYSTEM, { email: data.leader.email, name: 'Bench Leder', role: 'leader', password: data.leader.password })
await runRetentionIfDue(kysely, 12)
await kysely.destroy()
console.log(`… done in ${((Date.now() - t0) / 1000).toFixed(1)} s.`)

let pgServer: PostgresServer | null = null
let pgUrl = ''
if (onPostgres) {
  t0 = Date.now()
  if (process.env.BENCH_DATABASE_URL) {
    pgServer = externalServer(process.env.BENCH_DATABASE_URL)
    pgUrl = process.env.BENCH_DATABASE_URL
  } else {
    pgServer = await startThrowawayCluster()
    // Stopped even when the bench fails half-way.
    const cluster = pgServer
    process.on('exit', () => { cluster.stopNow() })
    await withAdmin(pgServer.adminUrl, async c => { await c.query('CREATE DATABASE digikurser_bench') })
    pgUrl = databaseUrl(pgServer.adminUrl, 'digikurser_bench')
  }
  console.log('Copying it into PostgreSQL with db:copy …')
  const raw = new SQLite(file, { readonly: true })
  const target = createPostgresDb(pgUrl, 2)
  await copySqliteToPostgres(raw, target)
  await target.destroy()
  raw.close()
  console.log(`… done in ${((Date.now() - t0) / 1000).toFixed(1)} s.`)
}

interface Started { child: ChildProcess, base: string, startMs: number, idleRss: number }

/** VmRSS (now) or VmHWM (the peak so far) of a child process, in MB. */
function rssOf (child: ChildProcess, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024
}

/** Starts a server with plain node and waits for its first answer: the start time. */
async function start (args: string[], readyPath: string, env: Record<string, string>): Promise<Started> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const started = performance.now()
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, ...env }, stdio: ['ignore', 'ignore', 'inherit'] })
  for (;;) {
    try { if ((await fetch(`${base}${readyPath}`)).ok) break } catch {}
    if (performance.now() - started > 60_000) throw new Error(`${args.join(' ')} did not start`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  const startMs = Math.round(performance.now() - started)
  // Idle: a second after the first answer, before any load.
  await new Promise(resolve => setTimeout(resolve, 1000))
  return { child, base, startMs, idleRss: rssOf(child, 'VmRSS') }
}

if (!existsSync(join(root, 'dist/server/main.js'))) throw new Error('dist/server/main.js is missing: run npm run build (npm run bench does).')
// As npm start runs it, with the same heap limit.
const nodeOptions = (process.env.BENCH_NODE_OPTIONS ?? '--max-old-space-size=256').split(' ').filter(Boolean)
const startApp = async (database: Record<string, string>) => await start(['--enable-source-maps', ...nodeOptions, 'dist/server/main.js'], '/healthz', {
  NODE_ENV: 'production', ...database, LOG_LEVEL: 'warn', BOOKING_RATE_LIMIT: '100000', BOOKING_LIMIT_PER_CLASS: '100000', DOOR_RATE_LIMIT: '1000000', SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-123'
})
const app = await startApp(onPostgres ? { DATABASE_URL: pgUrl } : { DATABASE_FILE: file })
// On PostgreSQL, the same server on the same data in SQLite, driven in the same run right
// after each of PostgreSQL's pages and its rush: the comparison is not thrown by how busy
// the machine was in another run.
const sqliteApp = onPostgres ? await startApp({ DATABASE_FILE: file }) : null
const baseline = await start(['tests/bench/baseline.js'], '/page', { BENCH_DB: file })

interface Row { scenario: string, rps: number, p50: number, p99: number, mean: number, ratio?: number, target: string, ok?: boolean, note?: string }
const rows: Row[] = []

interface Run { result: autocannon.Result, rps: number }

/**
 * One autocannon run. Its rate is the answers over the time from the start to the last
 * answer, counted the same for a run by duration and one by amount. Not to autocannon's
 * own end: autocannon ends a run only on its next once-a-second sample, so 2,000 posts
 * answered in 2.1 s took 3 s by its clock, and a run by amount came out at 2,000 ÷ a
 * whole number of seconds (657 or 985 a second, nothing between). Nor its per-second
 * average, which for a run that ends within a second is the whole count.
 */
async function cannon (opts: autocannon.Options): Promise<Run> {
  const t = performance.now()
  let last = t
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(opts, (error, r) => { if (error) reject(error); else resolve(r) })
    run.on('response', () => { last = performance.now() })
  })
  const answered = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx']
  return { result, rps: answered / ((last - t) / 1000) }
}

function statusCounts (result: autocannon.Result): Record<string, number> {
  const stats = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {}
  return Object.fromEntries(Object.entries(stats).map(([code, s]) => [code, s.count]))
}

/** The server's highest RSS so far after each part of the bench: where the peak comes from. */
const peaks: Array<{ after: string, mb: number }> = []
const notePeak = (after: string) => { peaks.push({ after, mb: Math.round(rssOf(app.child, 'VmHWM')) }) }

const measure = (scenario: string, run: Run, target: string, ok?: boolean, ratio?: number, note?: string): Row => {
  const r = run.result
  const row = { scenario, rps: Math.round(run.rps), p50: r.latency.p50, p99: r.latency.p99, mean: r.latency.average, ratio, target, ok, note }
  rows.push(row)
  console.log(`  ${scenario}: ${row.rps} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms${ratio !== undefined ? `, ${Math.round(ratio * 100)} % of baseline` : ''}${note ? ` (${note})` : ''}`)
  return row
}

async function signIn (base: string): Promise<string> {
  const page = await fetch(`${base}/personale/log-ind`)
  const cookie = page.headers.getSetCookie().map(c => c.split(';')[0]).join('; ')
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? ''
  const res = await fetch(`${base}/personale/log-ind`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, email: data.leader.email, password: data.leader.password }).toString() })
  return res.headers.getSetCookie().map(c => c.split(';')[0]).join('; ') || cookie
}

console.log('Warming up …')
for (const server of [app, ...(sqliteApp ? [sqliteApp] : [])]) {
  await cannon({ url: `${server.base}/`, connections: 10, duration: 2 })
  await cannon({ url: `${server.base}/hold/${data.upcomingClassIds[0]}`, connections: 10, duration: 2 })
}
await cannon({ url: `${baseline.base}/page`, connections: 10, duration: 2 })

/** SQLite's rows measured in the same run as PostgreSQL's, for the comparison only. */
const sameRun: Row[] = []
const onSqlite = (scenario: string, run: Run, note?: string) => {
  const r = run.result
  sameRun.push({ scenario, rps: Math.round(run.rps), p50: r.latency.p50, p99: r.latency.p99, mean: r.latency.average, target: '', ...(note ? { note } : {}) })
}

console.log('Pages, 8 seconds each at 50 connections …')
const basePage = await cannon({ url: `${baseline.base}/page`, connections: 50, duration: 8 })
measure('Baseline: bare Fastify + Eta page (8 s at 50 connections)', basePage, '')
const pageTarget = (run: Run) => run.rps >= basePage.rps * 0.7 && run.result.latency.p99 < 50
for (const [scenario, path] of [['Catalogue (/)', '/'], ['A class page', `/hold/${data.upcomingClassIds[0]}`]] as const) {
  const run = await cannon({ url: `${app.base}${path}`, connections: 50, duration: 8 })
  measure(scenario, run, '≥ 70 % of baseline, p99 < 50 ms', pageTarget(run), run.rps / basePage.rps)
  if (sqliteApp) onSqlite(scenario, await cannon({ url: `${sqliteApp.base}${path}`, connections: 50, duration: 8 }))
}

notePeak('pages')
console.log('Booking rush: 2,000 submissions at 200 connections on 50 classes of 20 seats …')
const baseInsert = await cannon({ url: `${baseline.base}/insert`, connections: 200, amount: 2000, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Grethe+Hansen&phone=12345678' })
measure('Baseline: bare insert route (2,000 posts at 200 connections)', baseInsert, '')

interface Rush { run: Run, codes: Record<string, number>, fiveHundreds: number, full: number }
/** 2,000 real form posts (each with its own session and CSRF token) to the rush classes of one server. */
async function rushOn (base: string, check: () => Db): Promise<Rush> {
  const forms: Array<{ classId: number, cookie: string, body: string }> = []
  for (let i = 0; i < 2000; i += 50) {
    forms.push(...await Promise.all(Array.from({ length: 50 }, async (_, k) => {
      const n = i + k
      const classId = data.rushClassIds[n % data.rushClassIds.length] as number
      const page = await fetch(`${base}/hold/${classId}`)
      const cookie = page.headers.getSetCookie().map(c => c.split(';')[0]).join('; ')
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? ''
      return { classId, cookie, body: new URLSearchParams({ _csrf: csrf, name: `Rush Borger ${n}`, phone: String(30_000_000 + n), email: '' }).toString() }
    })))
  }
  let next = 0
  const run = await cannon({
    url: base,
    connections: 200,
    amount: 2000,
    requests: [{
      method: 'POST',
      setupRequest: (req) => {
        const form = forms[next++ % forms.length] as typeof forms[number]
        return { ...req, path: `/hold/${form.classId}/tilmeld`, headers: { cookie: form.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: form.body }
      }
    }]
  })
  const codes = statusCounts(run.result)
  const db = check()
  const fill = await db.selectFrom('bookings').select(['class_id', eb => eb.fn.countAll<number>().as('n')])
    .where('status', '=', 'confirmed').where('class_id', 'in', data.rushClassIds).groupBy('class_id').execute()
  await db.destroy()
  return { run, codes, fiveHundreds: Object.entries(codes).filter(([c]) => c.startsWith('5')).reduce((n, [, v]) => n + v, 0), full: fill.filter(f => Number(f.n) === 20).length }
}
const rush = await rushOn(app.base, () => onPostgres ? createPostgresDb(pgUrl, 1) : createSqliteDb(file))
const exactlyFull = rush.full === data.rushClassIds.length
measure('Booking rush (2,000 posts at 200 connections)', rush.run, '≥ 50 % of baseline, p99 < 300 ms, no 5xx, every class exactly full',
  rush.fiveHundreds === 0 && exactlyFull && rush.run.rps >= baseInsert.rps / 2 && rush.run.result.latency.p99 < 300, rush.run.rps / baseInsert.rps,
  `answers ${JSON.stringify(rush.codes)}, 5xx ${rush.fiveHundreds}, classes exactly full: ${rush.full}/${data.rushClassIds.length}`)
if (sqliteApp) {
  const lite = await rushOn(sqliteApp.base, () => createSqliteDb(file))
  onSqlite('Booking rush', lite.run, `answers ${JSON.stringify(lite.codes)}, classes exactly full: ${lite.full}/${data.rushClassIds.length}`)
  sqliteApp.child.kill('SIGTERM')
}

notePeak('booking rush')
console.log('Check-in taps …')
let leaderCookie = await signIn(app.base)
const sheet = await fetch(`${app.base}/tjek-ind/${data.todayTaps[0]?.meetingId ?? 0}`, { headers: { cookie: leaderCookie } })
// The page may renew the session cookie along with its CSRF secret.
leaderCookie = sheet.headers.getSetCookie().map(c => c.split(';')[0]).join('; ') || leaderCookie
const doorCsrf = /data-csrf="([^"]+)"/.exec(await sheet.text())?.[1] ?? ''
let tap = 0
// A few tablets at a time: a door has one or two, a busy morning a few dozen doors.
const taps = await cannon({
  url: app.base,
  connections: 4,
  amount: 5000,
  requests: [{
    method: 'POST',
    setupRequest: (req) => {
      const n = tap++
      const one = data.todayTaps[n % data.todayTaps.length] as { meetingId: number, bookingId: number }
      return { ...req, path: `/tjek-ind/${one.meetingId}/synk`, headers: { cookie: leaderCookie, 'content-type': 'application/json' }, body: JSON.stringify({ _csrf: doorCsrf, actions: [{ key: `bench-${n}-${Date.now()}`, type: 'in', bookingId: one.bookingId }] }) }
    }
  }]
})
measure('Check-in taps (250 classes of 20, 4 tablets at once)', taps, 'p99 < 20 ms', taps.result.latency.p99 < 20, undefined, `answers ${JSON.stringify(statusCounts(taps.result))}`)

notePeak('check-in taps')
console.log('Reports …')
// The first view of a period reads every attendance in it; later views reuse the result
// until something changes. Both are measured.
const cold = async (url: string) => { const t = performance.now(); await fetch(url, { headers: { cookie: leaderCookie } }); return Math.round(performance.now() - t) }
const lastYear = DateTime.now().setZone(ZONE).minus({ years: 1 }).year
const yearUrl = `${app.base}/personale/rapporter?fra=${lastYear}-01-01&til=${lastYear}-12-31`
const coldDashboard = await cold(`${app.base}/personale/rapporter`)
const coldYear = await cold(yearUrl)
const dashboard = await cannon({ url: `${app.base}/personale/rapporter`, connections: 4, duration: 8, headers: { cookie: leaderCookie } })
measure('Leaders\' dashboard (this year), later views', dashboard, 'p99 < 200 ms', dashboard.result.latency.p99 < 200, undefined, `first view ${coldDashboard} ms; answers ${JSON.stringify(statusCounts(dashboard.result))}`)
const yearReport = await cannon({ url: yearUrl, connections: 4, duration: 8, headers: { cookie: leaderCookie } })
measure(`Year report (${lastYear}), later views`, yearReport, 'p99 < 200 ms', yearReport.result.latency.p99 < 200, undefined, `answers ${JSON.stringify(statusCounts(yearReport.result))}`)

notePeak('reports')
const peak = rssOf(app.child, 'VmHWM')
const basePeak = rssOf(baseline.child, 'VmHWM')
app.child.kill('SIGTERM')
baseline.child.kill('SIGTERM')

interface Figure { what: string, value: string, target: string, ok: boolean }
const figures: Figure[] = [
  { what: 'Start: node to the first answer', value: `${app.startMs} ms`, target: '< 1,500 ms', ok: app.startMs < 1500 },
  { what: `First view of the year report (${lastYear}, about 100,000 attendances)`, value: `${coldYear} ms`, target: '< 300 ms', ok: coldYear < 300 },
  { what: 'Memory idle (RSS a second after the start)', value: `${Math.round(app.idleRss)} MB (bare server ${Math.round(baseline.idleRss)} MB)`, target: '< 100 MB', ok: app.idleRss < 100 },
  { what: `Memory at the peak (highest RSS; after ${peaks.map(p => `${p.after} ${p.mb}`).join(', ')} MB)`, value: `${Math.round(peak)} MB, ${(peak / basePeak).toFixed(2)}× the bare server's ${Math.round(basePeak)} MB`, target: '≤ 1.3× the bare server', ok: peak <= basePeak * 1.3 }
]

// On PostgreSQL, compared with the same server on SQLite, driven in the same run.
if (sqliteApp) {
  const find = (set: Row[], prefix: string) => set.find(r => r.scenario.startsWith(prefix))
  for (const page of ['Catalogue', 'A class page']) {
    const pg = find(rows, page)
    const lite = find(sameRun, page)
    if (pg && lite) figures.push({ what: `${page}: mean latency on PostgreSQL against SQLite (same run, p99 ${pg.p99} against ${lite.p99} ms)`, value: `${pg.mean.toFixed(1)} ms against ${lite.mean.toFixed(1)} ms: ${(pg.mean / lite.mean).toFixed(2)}×`, target: '≤ 1.5×', ok: pg.mean <= lite.mean * 1.5 })
  }
  const pgRush = find(rows, 'Booking rush')
  const liteRush = find(sameRun, 'Booking rush')
  if (pgRush && liteRush) figures.push({ what: `Bookings a second on PostgreSQL against SQLite (same run; ${liteRush.note ?? ''})`, value: `${pgRush.rps} against ${liteRush.rps}: ${Math.round(pgRush.rps / liteRush.rps * 100)} %`, target: '≥ 50 %', ok: pgRush.rps >= liteRush.rps / 2 })
}

const date = new Date().toISOString().slice(0, 10)
const lines = [
  `Benchmark ${date} on ${process.platform} ${process.arch}, Node ${process.version}, ${onPostgres ? 'PostgreSQL 15 (one server, a pool of 10 connections)' : 'SQLite'}, production mode (compiled, plain node), autocannon on the same machine. The baselines use SQLite either way. Rates are answers over the time from the start to the last answer.`,
  '',
  '| scenario | req/s | p50 ms | p99 ms | vs baseline | target | met |',
  '|---|---:|---:|---:|---:|---|---|',
  ...rows.map(r => `| ${r.scenario} | ${r.rps.toLocaleString('en')} | ${r.p50} | ${r.p99} | ${r.ratio === undefined ? '' : `${Math.round(r.ratio * 100)} %`} | ${r.target} | ${r.ok === undefined ? '' : r.ok ? 'yes' : 'no'} |`),
  '',
  '| figure | measured | target | met |',
  '|---|---|---|---|',
  ...figures.map(f => `| ${f.what} | ${f.value} | ${f.target} | ${f.ok ? 'yes' : 'no'} |`),
  '',
  ...rows.filter(r => r.note).map(r => `- ${r.scenario}: ${r.note}`)
]
console.log(`\n${lines.join('\n')}`)
writeFileSync(join(dir, onPostgres ? 'results-postgres.md' : 'results.md'), lines.join('\n') + '\n')
writeFileSync(join(dir, onPostgres ? 'results-postgres.json' : 'results.json'), JSON.stringify({ date, node: process.version, rows, figures, ...(sqliteApp ? { sqliteSameRun: sameRun } : {}) }, null, 2))
// (The exit handler stops the throwaway cluster.)
process.exit(0)
