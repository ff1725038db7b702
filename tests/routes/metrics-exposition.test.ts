import { spawnSync } from 'node:child_process'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createClass } from '../helpers/factories.ts'
import { buildTestApp, submitBooking } from '../helpers/http.ts'

const TOKEN = 'a-long-metrics-token-123'

/** The /metrics body after some traffic, so that every kind of metric has samples. */
async function scrape (): Promise<string> {
  const t = await buildTestApp({ metricsToken: TOKEN })
  const classId = await createClass(t.db)
  await submitBooking(t.app, classId, { email: 'grethe@example.dk' })
  const res = await request(t.app.server).get('/metrics').set('authorization', `Bearer ${TOKEN}`).expect(200)
  await t.app.close()
  return res.text
}

/** promtool (Debian package "prometheus") checks the output if it is installed; CI requires it. */
function promtoolOrSkip (): boolean {
  if (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0) return true
  const message = 'promtool not found on PATH: the promtool check of /metrics is skipped. Install it with "apt-get install -y --no-install-recommends prometheus".'
  if (process.env.REQUIRE_PROMTOOL === '1') throw new Error(`${message} REQUIRE_PROMTOOL=1 makes this an error.`)
  console.warn(message)
  return false
}

describe('the /metrics exposition format', () => {
  it('names a counter with _total and never a gauge (read from the # TYPE lines)', async () => {
    const text = await scrape()
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(m => ({ name: m[1]!, type: m[2]! }))
    expect(types.length).toBeGreaterThan(10)
    expect(types.filter(t => t.type === 'counter').map(t => t.name)).toContain('digikurser_http_requests_total')
    expect(types.filter(t => t.type === 'counter' && !t.name.endsWith('_total')).map(t => t.name)).toEqual([])
    expect(types.filter(t => t.type !== 'counter' && t.name.endsWith('_total')).map(t => `${t.name} (${t.type})`)).toEqual([])
    // The active handles, requests and resources are still there, by type.
    expect(types.map(t => t.name)).toEqual(expect.arrayContaining(['digikurser_nodejs_active_handles', 'digikurser_nodejs_active_requests', 'digikurser_nodejs_active_resources']))
  })

  it.skipIf(!promtoolOrSkip())('passes "promtool check metrics"', async () => {
    const text = await scrape()
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect(`${check.stdout}${check.stderr}`).toBe('')
    expect(check.status).toBe(0)
  })
})
