import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { createTestDb } from '../helpers/database.ts'
import { testConfig } from '../helpers/http.ts'

describe('error pages', () => {
  it('shows a calm Danish page for an unexpected error, with no stack trace', async () => {
    const app = await buildApp({ config: testConfig(), db: await createTestDb(), closeDb: true, logger: false })
    app.get('/boom', async () => { throw new Error('secret detail at /work/main/server/x.ts:12') })
    app.get('/api/v1/boom', async () => { throw new Error('secret detail') })
    await app.ready()

    const res = await request(app.server).get('/boom').expect(500)
    expect(res.headers['content-type']).toMatch(/text\/html/)
    expect(res.text).toContain('Der skete en fejl')
    expect(res.text).toContain('Det er ikke din skyld')
    expect(res.text).toContain('class="site-header"')
    expect(res.text).not.toContain('secret detail')
    expect(res.text).not.toMatch(/\.ts:\d+/)

    const api = await request(app.server).get('/api/v1/boom').expect(500)
    expect(api.body).toEqual({ error: { status: 500, code: 'internal_error', message: 'Der skete en fejl hos os. Det er ikke din skyld. Prøv igen om lidt.' } })
    await app.close()
  })
})
