import { once } from 'node:events'
import type { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import type { Db } from '../../server/db/connection.ts'
import { queueMail } from '../../server/mail/outbox.ts'
import { createSmtpTransport, type MailTransport } from '../../server/mail/transport.ts'
import { OutboxWorker, retryDelayMs } from '../../server/mail/worker.ts'
import { requeueMessage } from '../../server/repositories/outbox-repository.ts'
import { createTestDb } from '../helpers/database.ts'
import { freePort, type SmtpPeer, startSmtpPeer } from '../helpers/smtp.ts'

const context = { publicUrl: 'http://kurser.test', organisationName: 'Testbiblioteket', contactPhone: '70 10 20 30', contactEmail: '' }

function workerFor (db: Db, transport: MailTransport | null) {
  return new OutboxWorker({ db, transport, from: 'Testbiblioteket <kurser@bib.test>', context, leaseMs: 60_000 })
}

async function queueSome (db: Db, count: number, now = new Date()): Promise<void> {
  await db.transaction().execute(async tx => {
    for (let i = 1; i <= count; i++) {
      await queueMail(tx, { kind: 'interest_signed_up', courseSlug: 'mitid-kom-godt-i-gang', courseTitle: 'Kom godt i gang med MitID', unsubscribeToken: `t${i}` }, { recipient: `borger${i}@example.dk` }, now)
    }
  })
}

const statuses = async (db: Db) => (await db.selectFrom('outbox').select('status').orderBy('id').execute()).map(r => r.status)

let peer: SmtpPeer | undefined
afterEach(async () => { await peer?.close(); peer = undefined })

describe('outbox worker', () => {
  it('keeps messages queued while the mail server is down, retries with backoff, and sends each once when it is back', async () => {
    const db = await createTestDb()
    const port = await freePort()
    const worker = workerFor(db, createSmtpTransport(`smtp://127.0.0.1:${port}`))
    const t0 = new Date('2030-01-10T09:00:00Z')
    await queueSome(db, 3, t0)

    expect(await worker.runOnce(() => t0)).toBe(3)
    const afterFirst = await db.selectFrom('outbox').selectAll().orderBy('id').execute()
    expect(afterFirst.map(r => [r.status, r.attempts])).toEqual([['queued', 1], ['queued', 1], ['queued', 1]])
    expect(afterFirst[0]?.last_error).toMatch(/ECONNREFUSED|connect/i)
    expect(afterFirst[0]?.not_before).toBe(new Date(t0.getTime() + retryDelayMs(1)).toISOString())

    // Not due yet: nothing is tried.
    expect(await worker.runOnce(() => new Date(t0.getTime() + 30_000))).toBe(0)
    // Still down at the next try: the wait grows.
    const t1 = new Date(t0.getTime() + retryDelayMs(1))
    expect(await worker.runOnce(() => t1)).toBe(3)
    const afterSecond = await db.selectFrom('outbox').selectAll().orderBy('id').execute()
    expect(afterSecond.map(r => r.attempts)).toEqual([2, 2, 2])
    expect(afterSecond[0]?.not_before).toBe(new Date(t1.getTime() + retryDelayMs(2)).toISOString())
    expect(retryDelayMs(2)).toBeGreaterThan(retryDelayMs(1))

    peer = await startSmtpPeer({ port })
    const t2 = new Date(t1.getTime() + retryDelayMs(2))
    expect(await worker.runOnce(() => t2)).toBe(3)
    expect(await worker.runOnce(() => new Date(t2.getTime() + 24 * 3600_000))).toBe(0)
    expect(await statuses(db)).toEqual(['sent', 'sent', 'sent'])
    expect(peer.received.map(m => m.to).sort()).toEqual(['borger1@example.dk', 'borger2@example.dk', 'borger3@example.dk'])
    expect([...peer.countsByMessageId().values()]).toEqual([1, 1, 1])
  })

  it('retries a temporary refusal and gives up on a permanent one at once', async () => {
    const db = await createTestDb()
    peer = await startSmtpPeer({ refuse: to => to === 'borger1@example.dk' ? { code: 451, message: 'try later' } : { code: 550, message: 'no such user' } })
    const worker = workerFor(db, createSmtpTransport(peer.url))
    await queueSome(db, 2)
    await worker.runOnce()
    const rows = await db.selectFrom('outbox').selectAll().orderBy('id').execute()
    expect(rows.map(r => r.status)).toEqual(['queued', 'failed'])
    expect(rows[1]?.last_error).toContain('550')
  })

  it('marks a message unknown, and does not resend it, when the connection drops after it was handed over', async () => {
    const db = await createTestDb()
    let deliveries = 0
    const dropsAfterFinalDot: MailTransport = {
      async send (_envelope, raw: Readable) {
        raw.resume() // read the whole message, up to the final dot
        await once(raw, 'end')
        deliveries++
        throw Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' })
      }
    }
    const worker = workerFor(db, dropsAfterFinalDot)
    await queueSome(db, 1)
    await worker.runOnce()
    await worker.runOnce(() => new Date(Date.now() + 7 * 24 * 3600_000))
    expect(deliveries).toBe(1)
    expect(await statuses(db)).toEqual(['unknown'])

    // Staff decide to send it again.
    expect(await requeueMessage(db, 1, new Date().toISOString())).toBe(true)
    peer = await startSmtpPeer()
    await workerFor(db, createSmtpTransport(peer.url)).runOnce()
    expect(await statuses(db)).toEqual(['sent'])
    expect(peer.received).toHaveLength(1)
  })

  it('reports a message whose worker died after handing it over, and sends one it died holding', async () => {
    const db = await createTestDb()
    await queueSome(db, 2)
    const past = new Date(Date.now() - 1000).toISOString()
    await db.updateTable('outbox').set({ status: 'sending', claimed_by: 'dead', claimed_until: past }).where('id', '=', 1).execute()
    await db.updateTable('outbox').set({ status: 'claimed', claimed_by: 'dead', claimed_until: past }).where('id', '=', 2).execute()
    peer = await startSmtpPeer()
    await workerFor(db, createSmtpTransport(peer.url)).runOnce()
    expect(await statuses(db)).toEqual(['unknown', 'sent'])
    expect(peer.received.map(m => m.to)).toEqual(['borger2@example.dk'])
  })

  it('does not take a message another worker holds', async () => {
    const db = await createTestDb()
    await queueSome(db, 1)
    await db.updateTable('outbox').set({ status: 'claimed', claimed_by: 'other', claimed_until: new Date(Date.now() + 60_000).toISOString() }).execute()
    peer = await startSmtpPeer()
    expect(await workerFor(db, createSmtpTransport(peer.url)).runOnce()).toBe(0)
    expect(peer.received).toHaveLength(0)
  })

  it('drops a message whose moment has passed (a reminder after the meeting began)', async () => {
    const db = await createTestDb()
    await db.transaction().execute(async tx => {
      await queueMail(tx, { kind: 'interest_signed_up', courseSlug: 'x', courseTitle: 'X', unsubscribeToken: 't' }, { recipient: 'a@example.dk', expiresAt: new Date(Date.now() - 1).toISOString() })
    })
    peer = await startSmtpPeer()
    await workerFor(db, createSmtpTransport(peer.url)).runOnce()
    expect(await statuses(db)).toEqual(['failed'])
    expect(peer.received).toHaveLength(0)
  })

  it('without a mail server keeps every message in the outbox and sends nothing', async () => {
    const db = await createTestDb()
    await queueSome(db, 2)
    expect(await workerFor(db, null).runOnce()).toBe(2)
    expect(await statuses(db)).toEqual(['kept', 'kept'])
  })
})
