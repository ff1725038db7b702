import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Db } from '../../server/db/connection.ts'
import { queueMail } from '../../server/mail/outbox.ts'
import { createTestDb, newDatabase } from '../helpers/database.ts'
import { type ScriptProcess, startScript, waitUntil } from '../helpers/server-process.ts'
import { type SmtpPeer, startSmtpPeer } from '../helpers/smtp.ts'

const LEASE_MS = 1500

/** A bare outbox worker in its own process; killed when the test ends if it still runs. */
function startWorker (file: string, smtpUrl: string): ScriptProcess {
  return startScript('tests/helpers/outbox-worker-process.ts', [file, smtpUrl, String(LEASE_MS)], {})
}

async function queueMessages (db: Db, count: number): Promise<void> {
  await db.transaction().execute(async tx => {
    for (let i = 1; i <= count; i++) {
      await queueMail(tx, { kind: 'interest_signed_up', courseSlug: 'mitid-kom-godt-i-gang', courseTitle: 'Kom godt i gang med MitID', unsubscribeToken: `t${i}` }, { recipient: `borger${i}@example.dk` })
    }
  })
}

/** Outbox id of a received message, from its Message-ID <outbox-ID.…@host>. */
const outboxIdOf = (messageId: string | undefined) => Number(/outbox-(\d+)\./.exec(messageId ?? '')?.[1])

let dir: string | undefined
let peer: SmtpPeer | undefined
afterEach(async () => {
  await peer?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

// Each test starts two worker processes (`node --import tsx`): slow on a busy machine.
describe('outbox worker killed in the middle of a batch', { timeout: 120_000 }, () => {
  it('sends every due message exactly once after a restart, counted at the SMTP peer', async () => {
    dir = mkdtempSync(join(tmpdir(), 'digikurser-crash-'))
    const file = await newDatabase(join(dir, 'crash.sqlite'))
    const db = await createTestDb(file)
    await queueMessages(db, 20)

    const running: { worker?: ScriptProcess } = {}
    // The peer kills the worker as it begins the 8th message: seven are sent, the 8th is
    // claimed and on its way, twelve wait in the queue.
    peer = await startSmtpPeer({ onTransaction: count => { if (count === 8) running.worker?.child.kill('SIGKILL') } })
    const first = startWorker(file, peer.url)
    running.worker = first
    expect(await first.exited).toBe('SIGKILL')
    expect(peer.received).toHaveLength(7)
    const claimed = await db.selectFrom('outbox').select(['id']).where('status', '=', 'claimed').execute()
    expect(claimed.map(r => r.id)).toEqual([8])

    const second = startWorker(file, peer.url)
    const open = async () => Number((await db.selectFrom('outbox').select(eb => eb.fn.countAll().as('n'))
      .where('status', 'in', ['queued', 'claimed', 'sending']).executeTakeFirstOrThrow()).n)
    await waitUntil(async () => await open() === 0)
    second.child.kill('SIGTERM')
    await second.exited

    const counts = new Map<number, number>()
    for (const m of peer.received) counts.set(outboxIdOf(m.parsed.messageId), (counts.get(outboxIdOf(m.parsed.messageId)) ?? 0) + 1)
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    expect([...counts.values()].every(n => n === 1)).toBe(true)

    // The 8th had not been handed over, so once its lease ran out it was sent again: once.
    const rows = await db.selectFrom('outbox').select(['id', 'status']).orderBy('id').execute()
    expect(rows.every(r => r.status === 'sent')).toBe(true)
    await db.destroy()
  })

  it('never sends a message twice when killed at an arbitrary moment', async () => {
    dir = mkdtempSync(join(tmpdir(), 'digikurser-crash-'))
    const file = await newDatabase(join(dir, 'crash.sqlite'))
    const db = await createTestDb(file)
    await queueMessages(db, 10)

    peer = await startSmtpPeer()
    const first = startWorker(file, peer.url)
    // Killed from outside, wherever the worker happens to be: between messages, while
    // connecting, or while a message is being written.
    await waitUntil(async () => peer!.received.length >= 3)
    first.child.kill('SIGKILL')
    await first.exited
    const beforeRestart = peer.received.length

    const second = startWorker(file, peer.url)
    await waitUntil(async () => Number((await db.selectFrom('outbox').select(eb => eb.fn.countAll().as('n'))
      .where('status', 'in', ['queued', 'claimed', 'sending']).executeTakeFirstOrThrow()).n) === 0)
    second.child.kill('SIGTERM')
    await second.exited

    const rows = await db.selectFrom('outbox').select(['id', 'status']).orderBy('id').execute()
    const counts = peer.countsByMessageId()
    expect(beforeRestart).toBeGreaterThanOrEqual(3)
    expect(peer.received.length).toBeGreaterThanOrEqual(9)
    expect([...counts.values()].every(n => n === 1)).toBe(true)
    for (const row of rows) {
      const received = [...counts.keys()].some(id => outboxIdOf(id) === row.id)
      // Either it arrived once and is recorded as sent, or the worker could not know and says so.
      expect(row.status === 'sent' ? received : row.status === 'unknown').toBe(true)
    }
    await db.destroy()
  })
})
