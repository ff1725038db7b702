import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Db } from '../../server/db/connection.ts'
import type { OutboxRow } from '../../server/db/schema.ts'
import type { ClassFacts } from '../../server/mail/messages.ts'
import { queueSms } from '../../server/mail/outbox.ts'
import { createTestDb, newDatabase } from '../helpers/database.ts'
import { FAKE_TOKEN, type FakeGateway, startFakeGateway } from '../helpers/fake-gateway.ts'
import { type ScriptProcess, startScript, waitUntil } from '../helpers/server-process.ts'

const LEASE_MS = 1500

/** A bare outbox worker sending texts through the fake gateway, in its own process. */
function startWorker (location: string, gateway: FakeGateway, env: Record<string, string> = {}): ScriptProcess {
  return startScript('tests/helpers/outbox-worker-process.ts', [location, '-', String(LEASE_MS)], { SMS_API_URL: gateway.url, SMS_API_TOKEN: FAKE_TOKEN, ...env })
}

const cls: ClassFacts = {
  id: 1, courseSlug: 'mitid-kom-godt-i-gang', courseTitle: 'Kom godt i gang med MitID', locationName: 'Hovedbiblioteket', room: null, street: 'Tobaksgården 12', postalCode: '8700', city: 'Horsens', stepFree: true, hearingLoop: true, note: null, bring: [], meetings: [{ id: 1, starts_at: '2099-03-03T09:00:00.000Z', ends_at: '2099-03-03T11:00:00.000Z' }]
}

/** `count` texts, each to its own number: booking confirmations to 4520000001, 4520000002, … */
async function queueTexts (db: Db, count: number): Promise<void> {
  await db.transaction().execute(async tx => {
    for (let i = 1; i <= count; i++) {
      const booking = { id: i, token: `token-${i}`, name: `Borger ${i}`, bookerName: null, to: 'participant' as const, checkinCode: 'K7M4PX' }
      await queueSms(tx, { kind: 'booking_confirmed', booking, cls }, { msisdn: `452000${String(i).padStart(4, '0')}` })
    }
  })
}

const rowsOf = async (db: Db): Promise<OutboxRow[]> => await db.selectFrom('outbox').selectAll().orderBy('id').execute()
const statusesOf = async (db: Db) => (await rowsOf(db)).map(r => r.status)

/** Runs a second worker until nothing is left to send (a dead worker's claims run out after their lease), then stops it. */
async function finishWithSecondWorker (db: Db, location: string, gateway: FakeGateway): Promise<void> {
  const second = startWorker(location, gateway)
  const open = async () => Number((await db.selectFrom('outbox').select(eb => eb.fn.countAll().as('n'))
    .where('status', 'in', ['queued', 'claimed', 'sending']).executeTakeFirstOrThrow()).n)
  await waitUntil(async () => await open() === 0)
  second.child.kill('SIGTERM')
  expect(await second.exited).toBe(0)
}

/**
 * The promise: every text is either sent, and taken by the provider exactly once, or
 * 'unknown' (shown to staff: it may have gone), never taken twice, none left behind.
 */
async function expectSentOnceOrUnknown (db: Db, gateway: FakeGateway): Promise<OutboxRow[]> {
  const rows = await rowsOf(db)
  const counts = gateway.countsByReference()
  expect([...counts.values()].every(n => n === 1), JSON.stringify([...counts])).toBe(true)
  expect([...counts.keys()].every(ref => rows.some(r => String(r.id) === ref))).toBe(true)
  for (const row of rows) {
    const taken = counts.get(String(row.id)) ?? 0
    if (row.status === 'sent') expect(taken, `text ${row.id}`).toBe(1)
    else expect(row.status, `text ${row.id} (taken ${taken} times)`).toBe('unknown')
  }
  return rows
}

let dir: string | undefined
let gateway: FakeGateway | undefined
afterEach(async () => {
  await gateway?.close()
  gateway = undefined
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

async function newLocation (): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'digikurser-sms-crash-'))
  return await newDatabase(join(dir, 'crash.sqlite'))
}

// Each test starts two worker processes (`node --import tsx`): slow on a busy machine.
describe('an outbox worker killed in the middle of sending texts', { timeout: 120_000 }, () => {
  it('leaves the text the provider never answered "unknown", never sent again, and sends the rest once', async () => {
    const location = await newLocation()
    const db = await createTestDb(location)
    await queueTexts(db, 10)
    gateway = await startFakeGateway()
    // The provider takes three texts and holds the fourth request; the worker is killed then.
    gateway.answers.push(200, 200, 200, 'hang')
    const running: { worker?: ScriptProcess } = {}
    gateway.onRequest = () => { if (gateway!.requests.length === 4) running.worker?.child.kill('SIGKILL') }
    running.worker = startWorker(location, gateway)
    expect(await running.worker.exited).toBe('SIGKILL')
    gateway.onRequest = undefined
    expect(gateway.sent).toHaveLength(3)
    expect(await statusesOf(db)).toEqual(['sent', 'sent', 'sent', 'sending', ...Array(6).fill('queued')])

    await finishWithSecondWorker(db, location, gateway)
    const rows = await expectSentOnceOrUnknown(db, gateway)
    expect(rows.map(r => r.status)).toEqual(['sent', 'sent', 'sent', 'unknown', ...Array(6).fill('sent')])
    expect(rows[3]?.last_error).toMatch(/afbrudt/)
    expect(gateway.sent).toHaveLength(9)
    // The held request was the only one about it: nobody tried it again.
    expect(gateway.requests.filter(r => r.json?.userref === String(rows[3]?.id))).toHaveLength(1)
    await db.destroy()
  })

  it('leaves a text the provider took just as the worker died "unknown", and never sends it twice', async () => {
    const location = await newLocation()
    const db = await createTestDb(location)
    await queueTexts(db, 10)
    gateway = await startFakeGateway()
    const running: { worker?: ScriptProcess } = {}
    // Killed when the fourth request arrives; the provider takes that text all the same.
    gateway.onRequest = () => { if (gateway!.requests.length === 4) running.worker?.child.kill('SIGKILL') }
    running.worker = startWorker(location, gateway)
    expect(await running.worker.exited).toBe('SIGKILL')
    gateway.onRequest = undefined
    expect(gateway.sent).toHaveLength(4)

    await finishWithSecondWorker(db, location, gateway)
    const rows = await expectSentOnceOrUnknown(db, gateway)
    expect(rows.map(r => r.status)).toEqual(['sent', 'sent', 'sent', 'unknown', ...Array(6).fill('sent')])
    expect(gateway.sent).toHaveLength(10)
    await db.destroy()
  })

  it('sends a text again, once, when its worker died after taking it and before handing it over', async () => {
    const location = await newLocation()
    const db = await createTestDb(location)
    await queueTexts(db, 10)
    gateway = await startFakeGateway()
    // The worker dies just before it marks the fourth text 'sending'.
    const first = startWorker(location, gateway, { KILL_BEFORE_SENDING: '4' })
    expect(await first.exited).toBe('SIGKILL')
    expect(gateway.requests).toHaveLength(3)
    const rows = await rowsOf(db)
    expect(rows.map(r => r.status)).toEqual(['sent', 'sent', 'sent', 'claimed', ...Array(6).fill('queued')])
    // Its words were kept, but it never reached the provider.
    expect(rows[3]?.subject).toMatch(/^Du har en plads: Kom godt i gang med MitID/)

    await finishWithSecondWorker(db, location, gateway)
    expect((await expectSentOnceOrUnknown(db, gateway)).map(r => r.status)).toEqual(Array(10).fill('sent'))
    // Text 4 waits for its dead claim's lease to run out, so it may go after 5 to 10 on a busy machine.
    expect(gateway.sent.map(t => Number(t.userref)).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1))
    await db.destroy()
  })

  it('sends no text twice when killed at an arbitrary moment', async () => {
    const location = await newLocation()
    const db = await createTestDb(location)
    await queueTexts(db, 20)
    gateway = await startFakeGateway()
    const first = startWorker(location, gateway)
    // Killed from outside, wherever the worker happens to be.
    await gateway.waitForSent(3, 60_000)
    first.child.kill('SIGKILL')
    expect(await first.exited).toBe('SIGKILL')

    await finishWithSecondWorker(db, location, gateway)
    const rows = await expectSentOnceOrUnknown(db, gateway)
    expect(rows.filter(r => r.status === 'unknown').length).toBeLessThanOrEqual(1)
    expect(gateway.sent.length).toBeGreaterThanOrEqual(19)
    await db.destroy()
  })
})
