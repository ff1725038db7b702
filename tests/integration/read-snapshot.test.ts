import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { type DbOrTx, readSnapshot } from '../../server/db/connection.ts'
import { closeWhenTestEnds } from '../helpers/cleanup.ts'
import { createTestDb, newDatabase, onPostgres, openDatabase } from '../helpers/database.ts'

/*
 * readSnapshot (server/db/connection.ts) runs a report's reads in one snapshot. Reads
 * `beside` the transaction run at the same time on PostgreSQL, on a second connection that
 * imports the snapshot, when the pool has one free; else on the transaction itself.
 */

const place = { kind: 'library', street: 'Gade 1', postal_code: '8000', city: 'Aarhus', step_free: 0, hearing_loop: 0, created_at: '2026-12-01T09:00:00.000Z' }
const countPlaces = async (db: DbOrTx) => Number((await db.selectFrom('locations').select(eb => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
const backend = async (db: DbOrTx) => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid

describe('reads in one snapshot', () => {
  it('gives the reads beside the transaction what the transaction reads', async () => {
    const db = await createTestDb()
    closeWhenTestEnds(async () => { await db.destroy() })
    await db.insertInto('locations').values({ ...place, name: 'Alfa Bibliotek' }).execute()
    const [own, besides] = await readSnapshot(db, async (tx, beside) => await Promise.all([
      countPlaces(tx),
      beside(async other => await countPlaces(other))
    ]))
    expect([own, besides]).toEqual([1, 1])
  })

  it.skipIf(!onPostgres)('runs them on a second connection in the same snapshot: a place added meanwhile is in neither', async () => {
    const location = await newDatabase()
    const db = openDatabase(location, 3)
    const writer = openDatabase(location, 1)
    closeWhenTestEnds(async () => { await db.destroy(); await writer.destroy() })
    await db.insertInto('locations').values({ ...place, name: 'Alfa Bibliotek' }).execute()
    const seen = await readSnapshot(db, async (tx, beside) => {
      const own = await countPlaces(tx)
      // Committed after the snapshot was taken: the snapshot must not see it, beside or not.
      await writer.insertInto('locations').values({ ...place, name: 'Beta Bibliotek' }).execute()
      const [besides, pids] = await Promise.all([
        beside(async other => await countPlaces(other)),
        Promise.all([backend(tx), beside(async other => await backend(other))])
      ])
      return { own, besides, pids }
    })
    expect(seen.own).toBe(1)
    expect(seen.besides).toBe(1)
    expect(seen.pids[0]).not.toBe(seen.pids[1])
    expect(await countPlaces(db)).toBe(2)
  })

  it.skipIf(!onPostgres)('runs them on the transaction itself when the pool has no connection free, rather than wait for one', async () => {
    const db = openDatabase(await newDatabase(), 1)
    closeWhenTestEnds(async () => { await db.destroy() })
    const pids = await readSnapshot(db, async (tx, beside) => await Promise.all([backend(tx), beside(async other => await backend(other))]))
    expect(pids[0]).toBe(pids[1])
  })
})
