import { timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { countOutboxByStatus } from '../repositories/outbox-repository.ts'
import { pingDatabase } from '../repositories/health-repository.ts'

/**
 * For the people who run the server: /healthz (is the database answering?) and
 * Prometheus metrics at /metrics (request rates and times by route, the e-mail outbox by
 * status, and the process). /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; with
 * no token configured it is not served at all. Labels are route patterns, never URLs,
 * so no token or name ends up in a metric.
 */
export default fp(async (fastify) => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'digikurser_' })
  // prom-client names three gauges "..._total", which the exposition format keeps for
  // counters (promtool refuses them). They are sums of the same gauges by type
  // (digikurser_nodejs_active_handles{type} and so on), so they are left out.
  for (const kind of ['handles', 'requests', 'resources']) registry.removeSingleMetric(`digikurser_nodejs_active_${kind}_total`)
  const requests = new Counter({ name: 'digikurser_http_requests_total', help: 'HTTP requests by method, route and status class', labelNames: ['method', 'route', 'status'], registers: [registry] })
  const duration = new Histogram({ name: 'digikurser_http_request_duration_seconds', help: 'HTTP request time by route', labelNames: ['method', 'route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] })
  const db = fastify.db
  new Gauge({ // eslint-disable-line no-new
    name: 'digikurser_outbox_messages',
    help: 'E-mails in the outbox by status (queued and claimed are the backlog)',
    labelNames: ['status'],
    registers: [registry],
    async collect () {
      const counts = await countOutboxByStatus(db)
      for (const status of ['queued', 'claimed', 'sending', 'sent', 'kept', 'failed', 'unknown', 'withdrawn']) this.set({ status }, counts[status as keyof typeof counts] ?? 0)
    }
  })

  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    if (route === '/metrics') return
    requests.inc({ method: request.method, route, status: `${Math.floor(reply.statusCode / 100)}xx` })
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000)
  })

  fastify.get('/healthz', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
    try {
      await pingDatabase(db)
      return await reply.send({ status: 'ok' })
    } catch {
      return await reply.code(503).send({ status: 'unavailable', database: 'not answering' })
    }
  })

  const token = fastify.config.metricsToken
  if (token === null) return
  const expected = Buffer.from(`Bearer ${token}`)
  fastify.get('/metrics', async (request, reply) => {
    const given = Buffer.from(request.headers.authorization ?? '')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return await reply.code(401).header('www-authenticate', 'Bearer').type('text/plain; charset=utf-8').send('Unauthorized\n')
    }
    return await reply.header('cache-control', 'no-store').type(registry.contentType).send(await registry.metrics())
  })
}, { name: 'operations', fastify: '5.x', dependencies: ['db', 'config'] })
