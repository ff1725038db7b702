import type { AddressInfo } from 'node:net'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { createTestDb } from '../helpers/database.ts'
import { buildTestApp, testConfig } from '../helpers/http.ts'

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

describe('the page for a form left open too long', () => {
  it('links back to the page the form came from, when that page is ours', async () => {
    const { app } = await buildTestApp()
    await app.listen({ port: 0, host: '127.0.0.1' })
    const host = `127.0.0.1:${(app.server.address() as AddressInfo).port}`
    const form = `/interesse/bekraeft/${'a'.repeat(32)}`
    const post = (referer?: string) => {
      const req = request(app.server).post(form).set('host', host).type('form').send({})
      return referer === undefined ? req : req.set('referer', referer)
    }

    const ours = await post(`http://${host}${form}?fra=mail`).expect(403)
    expect(ours.text).toContain('Siden har været åben for længe')
    expect(ours.text).toContain(`href="${form}?fra=mail" class="button button-primary">Tilbage til siden`)
    // Another site (also as //host on ours), an unreadable header, or none: only the way home.
    for (const referer of ['https://svindel.example/side', `http://${host}//svindel.example/side`, `http://${host}/\\svindel.example`, 'ikke en adresse', undefined]) {
      const res = await post(referer).expect(403)
      expect(res.text).not.toContain('Tilbage til siden')
      expect(res.text).toContain('Se kommende hold')
    }
  })
})
