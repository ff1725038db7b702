import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { checkpointsOf, createSqliteDb } from '../../server/db/connection.ts'
import { FALLBACK_CHECKPOINT_PAGES } from '../../server/db/checkpoints.ts'

const dir = mkdtempSync(join(tmpdir(), 'digikurser-checkpoints-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

const walSize = (file: string) => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0)

async function until (what: string, ok: () => boolean): Promise<void> {
  const started = Date.now()
  while (!ok()) {
    if (Date.now() - started > 30_000) throw new Error(`waited 30 s for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/**
 * The server's SQLite connection leaves checkpoints (copying the write-ahead log back into
 * the database file) to a worker thread, so that no request waits for one (db/checkpoints.ts).
 */
describe('checkpoints in the background', { timeout: 120_000 }, () => {
  it('keeps the log small while the server writes, without checkpointing in its commits', async () => {
    const file = join(dir, 'busy.sqlite')
    const db = createSqliteDb(file, { backgroundCheckpoints: true })
    const checkpoints = checkpointsOf.get(db)
    expect(checkpoints).toBeDefined()
    const [setting] = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db).then(r => r.rows)
    expect(setting?.wal_autocheckpoint).toBe(FALLBACK_CHECKPOINT_PAGES)
    await sql`create table filler (id integer primary key, body blob not null)`.execute(db)
    // 12 commits of about 1 MB each: 3,000 pages, beyond the 1,000 after which SQLite would
    // checkpoint in a commit; with checkpoints left to nobody the log would hold them all.
    const batch = 1_000_000
    for (let round = 0; round < 12; round++) {
      const seen = checkpoints?.count ?? 0
      await sql`insert into filler (body) values (randomblob(${batch}))`.execute(db)
      // Each commit waits for the worker's next checkpoint (twice a second).
      await until('a checkpoint', () => (checkpoints?.count ?? 0) > seen)
    }
    // A checkpoint lets the next commit start the log from its beginning again.
    expect(walSize(file)).toBeLessThan(batch * 4)
    await db.destroy()
  })

  it('leaves the whole database in the file when the server stops', async () => {
    const file = join(dir, 'stop.sqlite')
    const db = createSqliteDb(file, { backgroundCheckpoints: true })
    await sql`create table notes (id integer primary key, body text not null)`.execute(db)
    for (let i = 0; i < 200; i++) await sql`insert into notes (body) values (${`note ${i}`})`.execute(db)
    await db.destroy()
    // A copy of the file alone, without its -wal, as a careless backup would take it.
    const copy = join(dir, 'copy.sqlite')
    copyFileSync(file, copy)
    const read = new SQLite(copy, { readonly: true })
    expect(read.prepare('select count(*) as n from notes').get()).toEqual({ n: 200 })
    read.close()
  })

  it('is not used by the command-line tools and tests that open the database without it', async () => {
    const db = createSqliteDb(join(dir, 'plain.sqlite'))
    expect(checkpointsOf.get(db)).toBeUndefined()
    const [setting] = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db).then(r => r.rows)
    expect(setting?.wal_autocheckpoint).toBe(1000)
    await db.destroy()
  })
})

describe('transactions one after another', () => {
  it('let the event loop turn between two transactions, so connections and requests waiting meanwhile are taken in', async () => {
    const db = createSqliteDb(':memory:')
    await sql`create table seats (id integer primary key, n integer not null)`.execute(db)
    const order: string[] = []
    // Five bookings waiting for the one connection at once, as in a rush.
    const bookings = Array.from({ length: 5 }, async (_, i) => {
      await db.transaction().execute(async tx => { await sql`insert into seats (n) values (${i})`.execute(tx) })
      order.push(`booking ${i}`)
    })
    // What the event loop would do next: take in a waiting connection.
    setImmediate(() => { order.push('event loop') })
    await Promise.all(bookings)
    expect(order.indexOf('event loop')).toBeGreaterThan(-1)
    expect(order.indexOf('event loop')).toBeLessThan(2)
    await db.destroy()
  })
})
