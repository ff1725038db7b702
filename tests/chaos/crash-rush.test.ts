import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { createClass } from '../helpers/factories.ts'
import { onPostgres, openDatabase } from '../helpers/database.ts'
import { bookOverHttp, prepareDatabase, startServerProcess, waitUntil } from '../helpers/server-process.ts'
import { startSmtpPeer } from '../helpers/smtp.ts'

interface Seen { token: string, confirmed: boolean }

/** One citizen: opens the class page, books, and reads the answer page. Null when the server is gone. */
async function citizen (base: string, classId: number, n: number): Promise<Seen | null> {
  try {
    const token = await bookOverHttp(base, classId, { name: `Borger ${n}`, phone: String(20_000_000 + n), email: `borger${n}@example.dk` })
    if (!token) return null
    const answer = await (await fetch(`${base}/tilmelding/${token}?ny=1`)).text()
    return { token, confirmed: answer.includes('Du har en plads') }
  } catch {
    return null
  }
}

describe.skipIf(onPostgres)('a crash in the middle of a booking rush', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digikurser-chaos-'))
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('loses no booking a citizen saw, fills no class beyond its seats, keeps the database whole, and sends each e-mail once', { timeout: 180_000 }, async () => {
    const file = join(dir, 'rush.sqlite')
    const classes: number[] = []
    const databaseEnv = await prepareDatabase(file, async db => { for (let i = 0; i < 8; i++) classes.push(await createClass(db, { capacity: 20 })) })
    const peer = await startSmtpPeer({ delayMs: 20 })
    const env = { ...databaseEnv, SMTP_URL: `smtp://127.0.0.1:${peer.port}`, MAIL_FROM: 'Kurser <kurser@bib.dk>', BOOKING_RATE_LIMIT: '100000', BOOKING_LIMIT_PER_CLASS: '100000' }
    const first = await startServerProcess(env)

    // 400 citizens on 8 classes of 20 seats, 40 at a time; the server is killed after the 150th answer.
    const seen: Seen[] = []
    let next = 0
    let answers = 0
    let killed = false
    const worker = async () => {
      while (next < 400) {
        const n = next++
        const result = await citizen(first.base, classes[n % classes.length] as number, n)
        if (result) seen.push(result)
        if (++answers === 150 && !killed) {
          killed = true
          first.child.kill('SIGKILL')
        }
      }
    }
    await Promise.all(Array.from({ length: 40 }, worker))
    expect(await first.exited).toBe('SIGKILL')
    expect(seen.length).toBeGreaterThan(50)

    // The killed worker's claims run out after their five-minute lease; let those five
    // minutes pass at once, then after the restart the outbox sends what was pending, once.
    const writer = new SQLite(file)
    writer.pragma('busy_timeout = 5000')
    writer.prepare("update outbox set claimed_until = '2000-01-01T00:00:00.000Z' where status in ('claimed', 'sending')").run()
    writer.close()
    // Restarted on the same file.
    const second = await startServerProcess(env)
    for (const s of seen) {
      const page = await fetch(`${second.base}/tilmelding/${s.token}`)
      expect(page.status, s.token).toBe(200)
      if (s.confirmed) expect(await page.text(), s.token).toContain('Du har en plads')
    }
    const db = new SQLite(file, { readonly: true })
    await waitUntil(async () => (db.prepare("select count(*) as n from outbox where status in ('queued', 'claimed', 'sending')").get() as { n: number }).n === 0, 90_000, 250)
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    const over = db.prepare("select class_id, count(*) as n, (select capacity from classes where id = class_id) as cap from bookings where status = 'confirmed' group by class_id having n > cap").all()
    expect(over).toEqual([])
    const full = db.prepare("select count(*) as n from bookings where status = 'confirmed'").get() as { n: number }
    expect(full.n).toBeLessThanOrEqual(160)
    const statuses = db.prepare('select status, count(*) as n from outbox group by status').all() as Array<{ status: string, n: number }>
    const sent = statuses.find(s => s.status === 'sent')?.n ?? 0
    db.close()
    expect([...peer.countsByMessageId().values()].every(n => n === 1)).toBe(true)
    // Every accepted message is recorded as sent, except at most the one the kill cut off
    // between the final dot and the answer (then it is "unknown", shown to staff, never resent).
    const unknown = statuses.find(s => s.status === 'unknown')?.n ?? 0
    expect(unknown).toBeLessThanOrEqual(1)
    expect(peer.received.length - sent).toBeLessThanOrEqual(unknown)
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
    await peer.close()
  })
})

/**
 * The same on PostgreSQL with two servers behind a load balancer: one is killed in the
 * rush, its citizens' next requests go to the other (as the balancer would send them),
 * which carries on with the bookings and with the e-mails the dead one left.
 */
describe.runIf(onPostgres)('one of two servers killed in the middle of a booking rush', () => {
  it('loses no booking a citizen saw, fills no class beyond its seats, and sends each e-mail once', { timeout: 240_000 }, async () => {
    const classes: number[] = []
    const databaseEnv = await prepareDatabase(':memory:', async db => { for (let i = 0; i < 8; i++) classes.push(await createClass(db, { capacity: 20 })) })
    const peer = await startSmtpPeer({ delayMs: 20 })
    const env = { ...databaseEnv, SMTP_URL: `smtp://127.0.0.1:${peer.port}`, MAIL_FROM: 'Kurser <kurser@bib.dk>', BOOKING_RATE_LIMIT: '100000', BOOKING_LIMIT_PER_CLASS: '100000' }
    const servers = await Promise.all([startServerProcess(env), startServerProcess(env)])
    const alive = [true, true]

    const seen: Seen[] = []
    let next = 0
    let answers = 0
    const worker = async () => {
      while (next < 400) {
        const n = next++
        // Round robin over the servers that are up, as the load balancer does.
        const target = alive[n % 2] ? n % 2 : (n + 1) % 2
        const result = await citizen(servers[target]!.base, classes[n % classes.length] as number, n)
        if (result) seen.push(result)
        if (++answers === 150 && alive[0]) {
          alive[0] = false
          servers[0]!.child.kill('SIGKILL')
        }
      }
    }
    await Promise.all(Array.from({ length: 40 }, worker))
    expect(await servers[0]!.exited).toBe('SIGKILL')
    expect(seen.length).toBeGreaterThan(300)

    // The dead server's claims run out after their five-minute lease; let those five
    // minutes pass at once. The living server's worker then sends what was pending, once.
    const db = openDatabase(databaseEnv.DATABASE_URL!)
    await db.updateTable('outbox').set({ claimed_until: '2000-01-01T00:00:00.000Z' }).where('status', 'in', ['claimed', 'sending']).where('claimed_by', 'like', `worker-${servers[0]!.child.pid}-%`).execute()
    for (const s of seen) {
      const page = await fetch(`${servers[1]!.base}/tilmelding/${s.token}`)
      expect(page.status, s.token).toBe(200)
      if (s.confirmed) expect(await page.text(), s.token).toContain('Du har en plads')
    }
    await waitUntil(async () => (await db.selectFrom('outbox').select('id').where('status', 'in', ['queued', 'claimed', 'sending']).execute()).length === 0, 120_000, 250)
    const confirmed = await db.selectFrom('bookings').select(['class_id', eb => eb.fn.countAll<number>().as('n')]).where('status', '=', 'confirmed').groupBy('class_id').execute()
    expect(confirmed.filter(c => c.n > 20)).toEqual([])
    // 400 citizens for 160 seats, and the rush went on: every class is full.
    expect(confirmed.map(c => c.n)).toEqual(Array(8).fill(20))
    const statuses = await db.selectFrom('outbox').select(['status', eb => eb.fn.countAll<number>().as('n')]).groupBy('status').execute()
    const sent = statuses.find(s => s.status === 'sent')?.n ?? 0
    const unknown = statuses.find(s => s.status === 'unknown')?.n ?? 0
    await db.destroy()
    expect([...peer.countsByMessageId().values()].every(n => n === 1)).toBe(true)
    expect(unknown).toBeLessThanOrEqual(1)
    expect(peer.received.length - sent).toBeLessThanOrEqual(unknown)
    servers[1]!.child.kill('SIGTERM')
    expect(await servers[1]!.exited).toBe(0)
    await peer.close()
  })
})
