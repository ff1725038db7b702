import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/http.ts'

/**
 * Item 8 of issue 14: every answer a user can meet is Danish, also the one Node's HTTP
 * parser gives before Fastify sees the request. inject() skips the parser, so this goes
 * over a real socket.
 */
describe('an over-long request header', () => {
  it('gets a Danish answer over a real socket', async () => {
    const t = await buildTestApp()
    await t.app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = t.app.server.address() as AddressInfo
    const answer = await new Promise<{ status: number, type: string, body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/', headers: { cookie: `x=${'a'.repeat(20_000)}` } }, res => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', chunk => { body += chunk })
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }) })
      })
      req.on('error', reject)
      req.end()
    })
    expect(answer.status).toBe(431)
    expect(answer.type).toContain('text/html')
    expect(answer.body).toContain('lang="da"')
    expect(answer.body).toContain('cookies')
    expect(answer.body).not.toMatch(/Request Header Fields|Exceeded/)
    await t.app.close()
  })
})
