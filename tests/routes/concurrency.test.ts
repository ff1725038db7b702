import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDb } from '../helpers/database.ts'
import { createClass } from '../helpers/factories.ts'
import { buildTestApp, type TestApp } from '../helpers/http.ts'

/** A tiny browser: keeps its own cookie, reads the form's CSRF token. */
async function openForm (base: string, classId: number) {
  const res = await fetch(`${base}/hold/${classId}`)
  const html = await res.text()
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''
  const cookie = res.headers.getSetCookie().map(c => c.split(';')[0]).join('; ')
  return { csrf, cookie }
}

describe('50 people book a 10-seat class at the same moment', () => {
  let t: TestApp
  let base: string
  let dir: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'digikurser-'))
    t = await buildTestApp({}, await createTestDb(join(dir, 'rush.sqlite')))
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await t.app.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('gives exactly 10 seats and waiting-list places 1 to 40, with no errors', async () => {
    const classId = await createClass(t.db, { capacity: 10, meetings: ['2030-03-05T10:00'] })
    const forms = await Promise.all(Array.from({ length: 50 }, () => openForm(base, classId)))
    const responses = await Promise.all(forms.map(async (form, i) => await fetch(`${base}/hold/${classId}/tilmeld`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
      body: new URLSearchParams({ _csrf: form.csrf, name: `Deltager ${i + 1}`, phone: String(40000000 + i) })
    })))
    expect(responses.map(r => r.status)).toEqual(Array(50).fill(303))

    const pages = await Promise.all(responses.map(async r => await (await fetch(`${base}${r.headers.get('location') ?? ''}`)).text()))
    const seats = pages.filter(p => p.includes('Du har en plads'))
    const numbers = pages.flatMap(p => {
      const m = /<strong class="waitlist-number">(\d+)<\/strong>/.exec(p)
      return m ? [Number(m[1])] : []
    })
    expect(seats).toHaveLength(10)
    expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))

    const rows = await t.db.selectFrom('bookings').select(['status']).where('class_id', '=', classId).execute()
    expect(rows.filter(r => r.status === 'confirmed')).toHaveLength(10)
    expect(rows.filter(r => r.status === 'waitlisted')).toHaveLength(40)
  })
})
