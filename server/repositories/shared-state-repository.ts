import type { DbOrTx } from '../db/connection.ts'
import { prepare } from '../db/prepared.ts'

/**
 * Counts one request in its window and returns the count and when the window ends. One
 * statement, so requests to several servers at once are all counted.
 */
export async function countRequest (db: DbOrTx, key: string, windowMs: number, nowMs: number): Promise<{ hits: number, expiresAt: number }> {
  const row = await requestCount.first(db, { key, nowMs, expiresAt: nowMs + windowMs })
  if (!row) throw new Error('counting a request returned no row')
  return { hits: Number(row.hits), expiresAt: Number(row.expires_at) }
}

// Prepared: on PostgreSQL, planning it anew took about a millisecond of the database's
// time for every booking and every check-in.
const requestCount = prepare((db, v: { key: string, nowMs: number, expiresAt: number }) => db.insertInto('rate_limits').values({ key: v.key, hits: 1, expires_at: v.expiresAt })
  .onConflict(oc => oc.column('key').doUpdateSet(eb => ({
    hits: eb.case().when('rate_limits.expires_at', '<=', v.nowMs).then(1).else(eb('rate_limits.hits', '+', 1)).end(),
    expires_at: eb.case().when('rate_limits.expires_at', '<=', v.nowMs).then(v.expiresAt).else(eb.ref('rate_limits.expires_at')).end()
  })))
  .returning(['hits', 'expires_at']))

/** Takes back one request counted in a window that is still open (a sign-in that succeeded). */
export async function uncountRequest (db: DbOrTx, key: string, nowMs: number): Promise<void> {
  await db.updateTable('rate_limits').set(eb => ({ hits: eb('hits', '-', 1) }))
    .where('key', '=', key).where('expires_at', '>', nowMs).where('hits', '>', 0).execute()
}

export async function deleteExpiredRequestCounts (db: DbOrTx, nowMs: number): Promise<void> {
  await db.deleteFrom('rate_limits').where('expires_at', '<=', nowMs).execute()
}

export async function readChangeCount (db: DbOrTx): Promise<number> {
  const row = await changeCount.first(db, {})
  return Number(row?.n ?? 0)
}

export async function bumpChangeCount (db: DbOrTx): Promise<void> {
  await changeBump.run(db, {})
}

const changeCount = prepare(db => db.selectFrom('change_counters').select('n').where('name', '=', 'data'))
const changeBump = prepare(db => db.updateTable('change_counters').set(eb => ({ n: eb('n', '+', 1) })).where('name', '=', 'data'))
