import { request as httpRequest } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import { bookSeat } from '../../server/services/booking-service.ts'
import { bookingInput, createClass } from '../helpers/factories.ts'
import { openDatabase } from '../helpers/database.ts'
import { prepareDatabase, startServerProcess } from '../helpers/server-process.ts'
import { startSmtpPeer } from '../helpers/smtp.ts'
import { CITIZEN } from '../../server/domain/actor.ts'

describe('a graceful stop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digikurser-stop-'))
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('on SIGTERM refuses new connections, finishes the request and the e-mail in flight, and exits within 10 s', { timeout: 120_000 }, async () => {
    const file = join(dir, 'stop.sqlite')
    let classId = 0
    const env = await prepareDatabase(file, async db => {
      classId = await createClass(db, { capacity: 50 })
      for (let i = 0; i < 6; i++) await bookSeat(db, CITIZEN, classId, bookingInput({ name: `Deltager ${i}`, email: `d${i}@example.dk` }), { source: 'online' })
    })
    let inFlight: () => void = () => {}
    const firstTransaction = new Promise<void>(resolve => { inFlight = resolve })
    const peer = await startSmtpPeer({ delayMs: 1500, onTransaction: () => { inFlight() } })
    onTestFinished(async () => { await peer.close() })
    const server = await startServerProcess({ ...env, SMTP_URL: `smtp://127.0.0.1:${peer.port}`, MAIL_FROM: 'Kurser <kurser@bib.dk>' })

    // A request in flight: a booking form whose body is still on its way.
    const page = await fetch(`${server.base}/hold/${classId}`)
    const cookie = page.headers.getSetCookie().map(c => c.split(';')[0]).join('; ')
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? ''
    const body = new URLSearchParams({ _csrf: csrf, name: 'Sidste Deltager', phone: '12345678', email: '' }).toString()
    const { port } = new URL(server.base)
    const slow = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: `/hold/${classId}/tilmeld`, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), connection: 'close' } })
    const answer = new Promise<{ status: number, location: string }>((resolve, reject) => {
      slow.on('response', res => { res.resume(); resolve({ status: res.statusCode ?? 0, location: String(res.headers.location ?? '') }) })
      slow.on('error', reject)
    })
    slow.write(body.slice(0, 20))

    await firstTransaction // an e-mail is being handed to the slow mail server
    const stoppedAt = Date.now()
    server.child.kill('SIGTERM')
    await server.waitFor('"signal":"SIGTERM"')
    // Once the server has taken the signal, new work is refused: the connection is refused,
    // or (while the last e-mail is still being handed over) answered 503 and closed. The
    // request in flight keeps it from exiting meanwhile, so a refusal is the server's doing.
    await expect.poll(async () => await fetch(`${server.base}/`).then(r => r.status, () => 'refused'), { timeout: 5000, interval: 50 })
      .toBeOneOf(['refused', 503])
    slow.end(body.slice(20))
    expect(await answer).toMatchObject({ status: 303 })
    expect(await server.exited).toBe(0)
    expect(Date.now() - stoppedAt).toBeLessThan(10_000)
    expect(server.output()).toContain('"signal":"SIGTERM"')

    // The e-mail in flight was delivered and recorded; nothing was left half-sent.
    const db = openDatabase(env.DATABASE_URL ?? file)
    const rows = await db.selectFrom('outbox').select(['recipient', 'status']).execute()
    const bookings = (await db.selectFrom('bookings').select('id').execute()).length
    await db.destroy()
    expect(bookings).toBe(7)
    expect(peer.received.length).toBeGreaterThanOrEqual(1)
    for (const mail of peer.received) expect(rows.find(r => r.recipient === mail.to)?.status, mail.to).toBe('sent')
    expect(rows.filter(r => r.status === 'claimed' || r.status === 'sending' || r.status === 'unknown')).toEqual([])
    expect(rows.filter(r => r.status === 'queued').length).toBe(6 - peer.received.length)
  })
})
