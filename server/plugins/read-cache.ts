import fp from 'fastify-plugin'
import type { CataloguePage } from '../services/class-query-service.ts'
import { ReadCache } from '../services/read-cache.ts'

declare module 'fastify' {
  interface FastifyInstance {
    readCache: {
      /** The public catalogue per filter; seats left change with every booking. */
      catalogue: ReadCache<CataloguePage>
      /** Finished reports (numbers and charts) per period. */
      reports: ReadCache<unknown>
    }
  }
}

/**
 * Kept pages, made out of date by any state-changing request to this server.
 * With several servers a change made on another one shows within the caches' maximum
 * age (30 s for the catalogue, 60 s for reports).
 */
export default fp(async (fastify) => {
  const caches = { catalogue: new ReadCache<CataloguePage>(30_000), reports: new ReadCache<unknown>(60_000) }
  fastify.decorate('readCache', caches)
  // Whatever the answer (a write may commit and then fail, or the client may go away),
  // a state-changing request makes the kept pages out of date.
  const invalidate = async (request: { method: string }) => {
    if (request.method === 'GET' || request.method === 'HEAD') return
    caches.catalogue.invalidate()
    caches.reports.invalidate()
  }
  fastify.addHook('onResponse', invalidate)
  fastify.addHook('onRequestAbort', invalidate)
}, { name: 'read-cache', fastify: '5.x' })
