import { afterAll, describe, expect, it } from 'vitest'
import type { Db } from '../../server/db/connection.ts'
import type { ClassFacts } from '../../server/mail/messages.ts'
import { queueSms } from '../../server/mail/outbox.ts'
import { onPostgres, openDatabase } from '../helpers/database.ts'
import { FAKE_TOKEN, type FakeGateway, startFakeGateway } from '../helpers/fake-gateway.ts'
import { type ServerProcess, prepareDatabase, startServerProcess, waitUntil } from '../helpers/server-process.ts'

const TEXTS = 40

const cls: ClassFacts = {
  id: 1, courseSlug: 'mitid-kom-godt-i-gang', courseTitle: 'Kom godt i gang med MitID', locationName: 'Hovedbiblioteket', room: null, street: 'Tobaksgården 12', postalCode: '8700', city: 'Horsens', stepFree: true, hearingLoop: true, note: null, bring: [], meetings: [{ id: 1, starts_at: '2099-03-03T09:00:00.000Z', ends_at: '2099-03-03T11:00:00.000Z' }]
}

/**
 * Two server processes on one PostgreSQL database, as behind a load balancer, each with
 * its outbox worker sending texts through GatewayAPI (the fake one).
 */
describe.runIf(onPostgres)('two servers sending texts from one PostgreSQL database', () => {
  let servers: ServerProcess[] = []
  let gateway: FakeGateway | undefined
  let db: Db | undefined

  afterAll(async () => {
    for (const s of servers) s.child.kill('SIGTERM')
    await Promise.all(servers.map(async s => await s.exited))
    await db?.destroy()
    await gateway?.close()
  })

  it('send each of 40 texts once, both at the same time', { timeout: 180_000 }, async () => {
    const env = await prepareDatabase(':memory:')
    gateway = await startFakeGateway()
    const serverEnv = { ...env, SMS_PROVIDER: 'gatewayapi', SMS_API_URL: gateway.url, SMS_API_TOKEN: FAKE_TOKEN, SMS_SENDER: 'Bibliotek', SMS_QUIET_HOURS: 'off', SMS_MONTHLY_LIMIT: '0' }
    servers = await Promise.all([startServerProcess(serverEnv), startServerProcess(serverEnv)])
    db = openDatabase(env.DATABASE_URL!)

    // The gateway holds each request until the next one comes. A worker sends one text at
    // a time, so the next one can only come from the other server: they take turns, each
    // claiming while the other is in the middle of sending, until the last text.
    let held: (() => void) | undefined
    gateway.onRequest = () => {
      const previous = held
      held = undefined
      previous?.()
      if (gateway!.requests.length >= TEXTS) return
      return new Promise<void>(resolve => { held = resolve })
    }
    await db.transaction().execute(async tx => {
      for (let i = 1; i <= TEXTS; i++) {
        const booking = { id: i, token: `token-${i}`, name: `Borger ${i}`, bookerName: null, to: 'participant' as const, checkinCode: 'K7M4PX' }
        await queueSms(tx, { kind: 'booking_confirmed', booking, cls }, { msisdn: `452100${String(i).padStart(4, '0')}` })
      }
    })

    await gateway.waitForSent(TEXTS, 120_000)
    await waitUntil(async () => (await db!.selectFrom('outbox').select('id').where('status', '!=', 'sent').execute()).length === 0)
    const rows = await db.selectFrom('outbox').select(['id', 'recipient', 'attempts']).orderBy('id').execute()
    expect(rows).toHaveLength(TEXTS)
    expect(rows.every(r => r.attempts === 1)).toBe(true)
    const counts = gateway.countsByReference()
    expect([...counts.keys()].sort((a, b) => Number(a) - Number(b))).toEqual(rows.map(r => String(r.id)))
    expect([...counts.values()].every(n => n === 1)).toBe(true)
    expect(gateway.requests).toHaveLength(TEXTS)
    expect(gateway.sent.map(t => t.msisdn).sort()).toEqual(rows.map(r => r.recipient).sort())
  })
})
