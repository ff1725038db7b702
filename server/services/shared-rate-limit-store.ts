import { createHmac } from 'node:crypto'
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { Db } from '../db/connection.ts'
import { countRequest, deleteExpiredRequestCounts } from '../repositories/shared-state-repository.ts'

type Callback = (error: Error | null, result?: { current: number, ttl: number }) => void

/**
 * A store for @fastify/rate-limit that keeps the counts in the database, so that several
 * servers behind one address share one limit: ten sign-in attempts are ten, whichever
 * servers they reach. Used with PostgreSQL; one SQLite server counts in memory.
 * The address is kept only as a keyed hash, and a count lives no longer than its window.
 */
export function sharedRateLimitStore (db: Db, sessionKey: Buffer): FastifyRateLimitStoreCtor {
  // A key of its own, derived from the session key, for this one purpose.
  const secret = createHmac('sha256', sessionKey).update('digikurser rate-limit keys').digest()
  let calls = 0
  class SharedStore implements FastifyRateLimitStore {
    constructor (_options: unknown, private readonly prefix = 'all') {}

    incr (key: string, callback: Callback, timeWindow: number, _max: number): void {
      const now = Date.now()
      const hashed = createHmac('sha256', secret).update(`${this.prefix}|${key}`).digest('base64url')
      countRequest(db, hashed, timeWindow, now)
        .then(r => { callback(null, { current: r.hits, ttl: Math.max(0, r.expiresAt - now) }) }, (error: Error) => { callback(error) })
      // Ended windows are deleted each minute by the schedule; under heavy load also here.
      if (++calls % 500 === 0) deleteExpiredRequestCounts(db, now).catch(() => {})
    }

    child (routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): SharedStore {
      // Each route counts on its own, as the plugin's own stores do.
      const route = (routeOptions as { routeInfo?: { method: string, url: string } }).routeInfo
      return new SharedStore(undefined, route ? `${route.method} ${route.url}` : `${String(routeOptions.method)} ${routeOptions.url}`)
    }
  }
  return SharedStore
}
