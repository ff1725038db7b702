import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createClass } from '../helpers/factories.ts'
import { buildTestApp, submitBooking } from '../helpers/http.ts'

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

describe('headers and cookies', () => {
  it('send a Content-Security-Policy without unsafe-inline, and a Secure, HttpOnly, SameSite cookie over https', async () => {
    const t = await buildTestApp({ publicUrl: 'https://kurser.bib.dk', isProduction: true, env: 'production' })
    const classId = await createClass(t.db)
    for (const path of ['/', `/hold/${classId}`, '/kurser/mitid-kom-godt-i-gang', '/personale/log-ind', '/privatliv', '/tjek-ind']) {
      const res = await request(t.app.server).get(path)
      const csp = String(res.headers['content-security-policy'])
      expect(csp, path).toContain("default-src 'self'")
      expect(csp, path).toContain("script-src 'self'")
      expect(csp, path).not.toContain('unsafe-inline')
      expect(csp, path).not.toContain('unsafe-eval')
      expect(res.headers['strict-transport-security'], path).toBeDefined()
      expect(res.headers['x-content-type-options'], path).toBe('nosniff')
    }
    const form = await request(t.app.server).get(`/hold/${classId}`)
    const cookie = (form.headers['set-cookie'] as unknown as string[]).find(c => c.startsWith('digikurser_session='))
    expect(cookie).toMatch(/; HttpOnly/i)
    expect(cookie).toMatch(/; Secure/i)
    expect(cookie).toMatch(/; SameSite=Lax/i)
    await t.app.close()
  })
})
