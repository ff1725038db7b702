import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import autocannon from 'autocannon'
import SQLite from 'better-sqlite3'
import { DateTime } from 'luxon'
import { createPostgresDb, createSqliteDb } from '../../server/db/connection.ts'
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
 * `npm run bench`: builds the benchmark data set, starts the server in production mode
 * and a bare baseline server, drives both with autocannon from this machine, and prints
 * a table: req/s, p50 and p99 latency, the ratio to the baseline, and the target. Targets
 * are printed, never asserted: these machines are shared and noisy.
 * `npm run bench -- --postgres` runs the same on PostgreSQL: the data set is copied with
 * db:copy into a throwaway cluster (or the empty database BENCH_DATABASE_URL names).
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

async function start (script: string, env: Record<string, string>): Promise<{ child: ChildProcess, base: string }> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, ...env }, stdio: ['ignore', 'ignore', 'inherit'] })
  const started = Date.now()
  for (;;) {
    try { if ((await fetch(`${base}${script.includes('baseline') ? '/page' : '/healthz'}`)).ok) break } catch {}
    if (Date.now() - started > 60_000) throw new Error(`${script} did not start`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return { child, base }
}

const app = await start('server/main.ts', { // The same heap limit as npm start.
  NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '--max-old-space-size=160', NODE_ENV: 'production', ...(onPostgres ? { DATABASE_URL: pgUrl } : { DATABASE_FILE: file }), LOG_LEVEL: 'warn', BOOKING_RATE_LIMIT: '100000', BOOKING_LIMIT_PER_CLASS: '100000', DOOR_RATE_LIMIT: '1000000', SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-123'
})
const baseline = await start('tests/bench/baseline.ts', { BENCH_DB: file })

function peakRss (child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
}

interface Row { scenario: string, rps: number, p50: number, p99: number, ratio?: number, target: string, ok?: boolean, note?: string }
const rows: Row[] = []

async function cannon (opts: autocannon.Options): Promise<autocannon.Result> {
  return await new Promise((resolve, reject) => {
    autocannon(opts, (error, result) => { if (error) reject(error); else resolve(result) })
  })
}

function statusCounts (result: autocannon.Result): Record<string, number> {
  const stats = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {}
  return Object.fromEntries(Object.entries(stats).map(([code, s]) => [code, s.count]))
}

const measure = (scenario: string, r: autocannon.Result, target: string, ok?: boolean, ratio?: number, note?: string): Row => {
  const row = { scenario, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, ratio, target, ok, note }
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
await cannon({ url: `${app.base}/`, connections: 10, duration: 2 })
await cannon({ url: `${baseline.base}/page`, connections: 10, duration: 2 })

console.log('Pages at 50 connections …')
const basePage = await cannon({ url: `${baseline.base}/page`, connections: 50, duration: 8 })
measure('Baseline: bare Fastify + Eta page', basePage, '')
const catalogue = await cannon({ url: `${app.base}/`, connections: 50, duration: 8 })
measure('Catalogue (/)', catalogue, '≥ 50 % of baseline, p99 < 50 ms', catalogue.requests.average >= basePage.requests.average / 2 && catalogue.latency.p99 < 50, catalogue.requests.average / basePage.requests.average)
const classPage = await cannon({ url: `${app.base}/hold/${data.upcomingClassIds[0]}`, connections: 50, duration: 8 })
measure('A class page', classPage, '', undefined, classPage.requests.average / basePage.requests.average)

console.log('Booking rush: 2,000 submissions at 200 connections on 50 classes of 20 seats …')
const baseInsert = await cannon({ url: `${baseline.base}/insert`, connections: 200, amount: 2000, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Grethe+Hansen&phone=12345678' })
measure('Baseline: bare insert route', baseInsert, '')
const forms: Array<{ classId: number, cookie: string, body: string }> = []
for (let i = 0; i < 2000; i += 50) {
  forms.push(...await Promise.all(Array.from({ length: 50 }, async (_, k) => {
    const n = i + k
    const classId = data.rushClassIds[n % data.rushClassIds.length] as number
    const page = await fetch(`${app.base}/hold/${classId}`)
    const cookie = page.headers.getSetCookie().map(c => c.split(';')[0]).join('; ')
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? ''
    return { classId, cookie, body: new URLSearchParams({ _csrf: csrf, name: `Rush Borger ${n}`, phone: String(30_000_000 + n), email: '' }).toString() }
  })))
}
let next = 0
const rush = await cannon({
  url: app.base,
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
const codes = statusCounts(rush)
const fiveHundreds = Object.entries(codes).filter(([c]) => c.startsWith('5')).reduce((n, [, v]) => n + v, 0)
const check = onPostgres ? createPostgresDb(pgUrl, 1) : createSqliteDb(file)
const fill = await check.selectFrom('bookings').select(['class_id', eb => eb.fn.countAll<number>().as('n')])
  .where('status', '=', 'confirmed').where('class_id', 'in', data.rushClassIds).groupBy('class_id').execute()
await check.destroy()
const exactlyFull = fill.length === data.rushClassIds.length && fill.every(f => f.n === 20)
measure('Booking rush', rush, 'no 5xx, every class exactly full, ≥ 50 % of insert baseline',
  fiveHundreds === 0 && exactlyFull && rush.requests.average >= baseInsert.requests.average / 2, rush.requests.average / baseInsert.requests.average,
  `answers ${JSON.stringify(codes)}, 5xx ${fiveHundreds}, classes exactly full: ${fill.filter(f => f.n === 20).length}/${data.rushClassIds.length}`)

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
measure('Check-in taps (250 classes of 20, 4 tablets at once)', taps, 'p99 < 30 ms', taps.latency.p99 < 30, undefined, `answers ${JSON.stringify(statusCounts(taps))}`)

console.log('Reports …')
// The first view of a period reads every attendance in it; later views reuse the result
// until something changes. Both are measured.
const cold = async (url: string) => { const t = performance.now(); await fetch(url, { headers: { cookie: leaderCookie } }); return Math.round(performance.now() - t) }
const lastYear = DateTime.now().setZone(ZONE).minus({ years: 1 }).year
const yearUrl = `${app.base}/personale/rapporter?fra=${lastYear}-01-01&til=${lastYear}-12-31`
const coldDashboard = await cold(`${app.base}/personale/rapporter`)
const coldYear = await cold(yearUrl)
const dashboard = await cannon({ url: `${app.base}/personale/rapporter`, connections: 4, duration: 8, headers: { cookie: leaderCookie } })
measure('Leaders\' dashboard (this year)', dashboard, 'p99 < 200 ms', dashboard.latency.p99 < 200, undefined, `first view ${coldDashboard} ms; answers ${JSON.stringify(statusCounts(dashboard))}`)
const yearReport = await cannon({ url: yearUrl, connections: 4, duration: 8, headers: { cookie: leaderCookie } })
measure(`Year report (${lastYear})`, yearReport, 'p99 < 200 ms', yearReport.latency.p99 < 200, undefined, `first view ${coldYear} ms; answers ${JSON.stringify(statusCounts(yearReport))}`)

const rss = peakRss(app.child)
app.child.kill('SIGTERM')
baseline.child.kill('SIGTERM')

const lines = [
  `Benchmark ${new Date().toISOString().slice(0, 10)} on ${process.platform} ${process.arch}, Node ${process.version}, ${onPostgres ? 'PostgreSQL 15 (one server, a pool of 10 connections)' : 'SQLite'}, production mode, autocannon on the same machine. The baselines use SQLite either way.`,
  '',
  '| scenario | req/s | p50 ms | p99 ms | vs baseline | target | met |',
  '|---|---:|---:|---:|---:|---|---|',
  ...rows.map(r => `| ${r.scenario} | ${r.rps.toLocaleString('en')} | ${r.p50} | ${r.p99} | ${r.ratio === undefined ? '' : `${Math.round(r.ratio * 100)} %`} | ${r.target} | ${r.ok === undefined ? '' : r.ok ? 'yes' : 'no'} |`),
  `| Server peak memory (RSS) | | | | | < 250 MB | ${rss < 250 ? 'yes' : 'no'} (${Math.round(rss)} MB) |`,
  '',
  ...rows.filter(r => r.note).map(r => `- ${r.scenario}: ${r.note}`)
]
console.log(`\n${lines.join('\n')}`)
writeFileSync(join(dir, onPostgres ? 'results-postgres.md' : 'results.md'), lines.join('\n') + '\n')
// (The exit handler stops the throwaway cluster.)
t0 = Date.now()
process.exit(0)
