import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely'
import { createSqliteDb } from '../../server/db/connection.ts'
import { migrateToLatest } from '../../server/db/migrate.ts'
import type { Database } from '../../server/db/schema.ts'
import { CITIZEN } from '../../server/domain/actor.ts'
import { bookSeat } from '../../server/services/booking-service.ts'
import { root } from '../helpers/server-process.ts'
import { generateDataset } from './dataset.ts'

/**
 * Where a booking's time goes in the database, without HTTP: 2,000 bookings of the rush
 * (50 classes of 20, phone only) made one after another with `bookSeat` on a copy of the
 * bench data, every SQL statement timed. Prints each statement's total, and how the
 * commits spread: a checkpoint run by a commit shows as a slow one. With `--checkpoints-off`
 * the connection never checkpoints, to see what a commit costs alone.
 *
 *   node --import tsx tests/bench/booking-profile.ts [--checkpoints-off]
 *   node --cpu-prof --import tsx tests/bench/booking-profile.ts   # and the JavaScript side
 */
const dir = join(root, 'data', 'bench', 'booking-profile')
mkdirSync(dir, { recursive: true })
const template = join(dir, 'template.sqlite')
const idsFile = join(dir, 'rush-classes.json')
if (!existsSync(template) || !existsSync(idsFile)) {
  console.log('Generating the bench data set once (kept in data/bench/booking-profile) …')
  const data = await generateDataset(template)
  writeFileSync(idsFile, JSON.stringify(data.rushClassIds))
}
const rushClassIds = JSON.parse(readFileSync(idsFile, 'utf8')) as number[]
// A template kept from before a migration gets it now.
const migrating = createSqliteDb(template)
await migrateToLatest(migrating)
await migrating.destroy()
const file = join(dir, 'run.sqlite')
for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
copyFileSync(template, file)

// The server's settings (db/connection.ts), with each statement's runs timed.
const sqlite = new SQLite(file)
sqlite.pragma('journal_mode = WAL')
sqlite.pragma('foreign_keys = ON')
sqlite.pragma('synchronous = NORMAL')
if (process.argv.includes('--checkpoints-off')) sqlite.pragma('wal_autocheckpoint = 0')
const spent = new Map<string, { runs: number, ms: number }>()
const commits: number[] = []
function timed (text: string, statement: SQLite.Statement): SqliteStatement {
  const time = <T>(run: () => T): T => {
    const started = performance.now()
    try { return run() } finally {
      const ms = performance.now() - started
      const entry = spent.get(text) ?? { runs: 0, ms: 0 }
      entry.runs++
      entry.ms += ms
      spent.set(text, entry)
      if (text === 'commit') commits.push(ms)
    }
  }
  return {
    get reader () { return statement.reader },
    all: parameters => time(() => statement.all(parameters)),
    run: parameters => time(() => statement.run(parameters)),
    iterate: parameters => statement.iterate(parameters)
  }
}
const kept = new Map<string, SqliteStatement>()
const database: SqliteDatabase = {
  close: () => { sqlite.close() },
  prepare: text => {
    const known = kept.get(text) ?? timed(text, sqlite.prepare(text))
    kept.set(text, known)
    return known
  }
}
const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) })

const limits = { perAddress: 100_000, perAddressPerClass: 100_000, perBookerPerClass: 100_000, windowMinutes: 60 }
const started = performance.now()
for (let n = 0; n < 2000; n++) {
  const input = { name: `Rush Borger ${n}`, phone: String(30_000_000 + n), email: null, birthYear: null, needsCompanion: false, needsHearingLoop: false, needsOther: null, booker: null, smsConsent: false }
  await bookSeat(db, CITIZEN, rushClassIds[n % rushClassIds.length] as number, input, { source: 'online', sourceKey: `address-${n % 7}`, limits })
}
const total = performance.now() - started
await db.destroy()

const rows = [...spent].sort((a, b) => b[1].ms - a[1].ms)
const inSql = rows.reduce((sum, [, s]) => sum + s.ms, 0)
console.log(`2,000 bookings one after another: ${Math.round(total)} ms, ${Math.round(2000 / total * 1000)} a second; ${Math.round(inSql)} ms of it in SQLite.`)
for (const [text, s] of rows) console.log(`${Math.round(s.ms).toString().padStart(6)} ms ${String(s.runs).padStart(5)}×  ${text.slice(0, 150)}`)
commits.sort((a, b) => a - b)
const slow = commits.filter(ms => ms > 5)
const q = (p: number) => (commits[Math.floor(p * (commits.length - 1))] ?? 0).toFixed(2)
console.log(`Commits: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms; ${slow.length} over 5 ms, together ${Math.round(slow.reduce((a, b) => a + b, 0))} ms.`)
