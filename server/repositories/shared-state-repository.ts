import type { DbOrTx } from '../db/connection.ts'

/**
 * Counts one request in its window and returns the count and when the window ends. One
 * statement, so requests to several servers at once are all counted.
 */
export async function countRequest (db: DbOrTx, key: string, windowMs: number, nowMs: number): Promise<{ hits: number, expiresAt: number }> {
  const row = await db.insertInto('rate_limits').values({ key, hits: 1, expires_at: nowMs + windowMs })
    .onConflict(oc => oc.column('key').doUpdateSet(eb => ({
      hits: eb.case().when('rate_limits.expires_at', '<=', nowMs).then(1).else(eb('rate_limits.hits', '+', 1)).end(),
      expires_at: eb.case().when('rate_limits.expires_at', '<=', nowMs).then(nowMs + windowMs).else(eb.ref('rate_limits.expires_at')).end()
    })))
    .returning(['hits', 'expires_at'])
    .executeTakeFirstOrThrow()
  return { hits: Number(row.hits), expiresAt: Number(row.expires_at) }
}

/** Takes back one request counted in a window that is still open (a sign-in that succeeded). */
export async function uncountRequest (db: DbOrTx, key: string, nowMs: number): Promise<void> {
  await db.updateTable('rate_limits').set(eb => ({ hits: eb('hits', '-', 1) }))
    .where('key', '=', key).where('expires_at', '>', nowMs).where('hits', '>', 0).execute()
}

export async function deleteExpiredRequestCounts (db: DbOrTx, nowMs: number): Promise<void> {
  await db.deleteFrom('rate_limits').where('expires_at', '<=', nowMs).execute()
}

export async function readChangeCount (db: DbOrTx): Promise<number> {
  const row = await db.selectFrom('change_counters').select('n').where('name', '=', 'data').executeTakeFirst()
  return Number(row?.n ?? 0)
}

export async function bumpChangeCount (db: DbOrTx): Promise<void> {
  await db.updateTable('change_counters').set(eb => ({ n: eb('n', '+', 1) })).where('name', '=', 'data').execute()
}
