import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { buildTestApp, createClass, submitBooking } from '../helpers/app.ts'

describe('operations', () => {
  it('answers /healthz from the database, and 503 when the database is gone', async () => {
    const t = await buildTestApp()
    const ok = await request(t.app.server).get('/healthz').expect(200)
    expect(ok.body).toEqual({ status: 'ok' })
    await t.db.destroy()
    const down = await request(t.app.server).get('/healthz').expect(503)
    expect(down.body.status).toBe('unavailable')
    await t.app.close().catch(() => {})
  })

  it('serves Prometheus metrics only with the token: request rates by route, and the outbox backlog', async () => {
    const without = await buildTestApp()
    await request(without.app.server).get('/metrics').expect(404)
    await without.app.close()

    const t = await buildTestApp({ metricsToken: 'a-long-metrics-token-123' })
    const classId = await createClass(t.db)
    await submitBooking(t.app, classId, { email: 'grethe@example.dk' })
    await request(t.app.server).get('/metrics').expect(401)
    await request(t.app.server).get('/metrics').set('authorization', 'Bearer wrong-token-wrong-token').expect(401)
    const metrics = await request(t.app.server).get('/metrics').set('authorization', 'Bearer a-long-metrics-token-123').expect(200)
    expect(metrics.headers['content-type']).toContain('text/plain')
    expect(metrics.text).toContain('digikurser_http_requests_total{method="POST",route="/hold/:id/tilmeld",status="3xx"} 1')
    expect(metrics.text).toMatch(/digikurser_http_request_duration_seconds_count\{method="GET",route="\/hold\/:id"\} [1-9]/)
    expect(metrics.text).toContain('digikurser_outbox_messages{status="queued"} 1')
    expect(metrics.text).toContain('digikurser_process_resident_memory_bytes')
    // Route patterns only: no tokens or names.
    expect(metrics.text).not.toContain('grethe')
    expect(metrics.text).not.toMatch(/\/tilmelding\/[A-Za-z0-9_-]{20}/)
    await t.app.close()
  })
})
