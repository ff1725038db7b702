import type { FastifyReply, FastifyRequest } from 'fastify'
import { describe, expect, it } from 'vitest'
import { recordHtml, validateRecordedHtml } from '../helpers/html-validation.ts'

const page = (body: string) => `<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Side</title></head><body><main>${body}</main></body></html>`

async function record (url: string, html: string, type = 'text/html; charset=utf-8'): Promise<void> {
  const request = { method: 'GET', url, routeOptions: { url: url.split('?')[0] } } as unknown as FastifyRequest
  const reply = { getHeader: () => type } as unknown as FastifyReply
  await (recordHtml as unknown as (req: FastifyRequest, rep: FastifyReply, payload: unknown) => Promise<unknown>)(request, reply, html)
}

describe('html-validate over recorded pages', () => {
  it('names the page and the rule of an invalid page, and passes a valid one', async () => {
    await record('/god', page('<p>Hej</p>'))
    await record('/daarlig', page('<svg class="chart" class="marks"></svg>'))
    await record('/data.json', '{"class":1}', 'application/json')
    const problems = await validateRecordedHtml()
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^GET \/daarlig .*\[no-dup-attr\]/)
    // Each run starts afresh: the pages are not checked twice.
    expect(await validateRecordedHtml()).toEqual([])
  })
})
