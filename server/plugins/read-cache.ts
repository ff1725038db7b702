import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { bumpChangeCount, readChangeCount } from '../repositories/shared-state-repository.ts'
import { type CatalogueFilter, type CataloguePage, type ClassPageData, findClassPageData, getCataloguePage } from '../services/class-query-service.ts'
import { ReadCache, coalesced } from '../services/read-cache.ts'
import type { Period } from '../services/report-service.ts'
import { type ReportPage, buildReportPage } from '../services/report-tables.ts'

declare module 'fastify' {
  interface FastifyInstance {
    readCache: {
      /** The public catalogue per filter; seats left change with every booking. */
      catalogue: ReadCache<CatalogueFilter, CataloguePage>
      /** A public class page's class and course (nothing for a class that is not public). */
      classPages: ReadCache<number, ClassPageData | undefined>
      /** Finished reports (numbers and charts) per period. */
      reports: ReadCache<Period, ReportPage>
    }
  }
}

const writes = (request: FastifyRequest) => request.method !== 'GET' && request.method !== 'HEAD'

/**
 * Kept pages, made out of date by any state-changing request. With one server (SQLite) that
 * is a request to this server. With shared state (several servers) each such request
 * also bumps a count in the database before its answer goes out, and a kept page is used
 * only while the count is unchanged: a booking on one server shows at once on the others.
 * Requests at the same moment share one bump and one read of the count (`coalesced`):
 * one each would queue every booking of a rush on the count's row.
 */
export default fp(async (fastify) => {
  const shared = fastify.config.sharedState
  const version = shared ? coalesced(async () => await readChangeCount(fastify.db)) : null
  const bump = coalesced(async () => { await bumpChangeCount(fastify.db) })
  const caches = {
    catalogue: new ReadCache<CatalogueFilter, CataloguePage>({
      build: async filter => await getCataloguePage(fastify.db, filter),
      keyOf: filter => `${filter.topic ?? ''}/${filter.locationId ?? ''}`,
      maxAgeMs: 30_000,
      maxEntries: 20,
      sharedVersion: version
    }),
    classPages: new ReadCache<number, ClassPageData | undefined>({
      build: async id => await findClassPageData(fastify.db, id),
      keyOf: id => String(id),
      maxAgeMs: 30_000,
      maxEntries: 500,
      sharedVersion: version
    }),
    reports: new ReadCache<Period, ReportPage>({
      build: async period => await buildReportPage(fastify.db, period),
      keyOf: period => `${period.from}/${period.to}`,
      maxAgeMs: 60_000,
      maxEntries: 20,
      sharedVersion: version
    })
  }
  fastify.decorate('readCache', caches)
  const invalidate = async (request: FastifyRequest, tellOthers: boolean) => {
    // A refused request (no such route, CSRF, rate limit, bad input) wrote nothing: it
    // must not let a flood of junk make every server rebuild its pages.
    if (!writes(request) || request.routeOptions.url === undefined) return
    caches.catalogue.invalidate()
    caches.classPages.invalidate()
    caches.reports.invalidate()
    if (shared && tellOthers) await bump().catch(() => {})
  }
  // Before the answer is sent, error answers too (the browser may follow a redirect to
  // another server at once); again once it is sent (a write may have committed while
  // this server's page was being built); and if the client went away mid-request.
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 400 || reply.statusCode >= 500) await invalidate(request, true)
    return payload
  })
  fastify.addHook('onResponse', async request => { await invalidate(request, false) })
  fastify.addHook('onRequestAbort', async request => { await invalidate(request, true) })
}, { name: 'read-cache', fastify: '5.x', dependencies: ['config', 'db'] })
