import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { DateTime } from 'luxon'
import { SignJWT, UnsecuredJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import type { Config } from '../../server/config.ts'
import { CITIZEN } from '../../server/domain/actor.ts'
import { ZONE } from '../../server/domain/time.ts'
import { queueDueReminders } from '../../server/services/reminder-service.ts'
import { closeWhenTestEnds } from '../helpers/cleanup.ts'
import { createTestDb } from '../helpers/database.ts'
import { bookingInput, bookNew, createClass } from '../helpers/factories.ts'
import { FAKE_TOKEN, FAKE_WEBHOOK_SECRET, type FakeGateway, signGatewayJwt, startFakeGateway } from '../helpers/fake-gateway.ts'
import { testConfig } from '../helpers/http.ts'

/**
 * The SMS webhooks are open to the internet: GatewayAPI calls them, and so can anyone.
 * Only a call signed with SMS_WEBHOOK_SECRET (an HS256 JWT in X-Gwapi-Signature) may
 * stop someone's texts, record a report or store a text, and only what the signed
 * payload says counts. A stranger learns nothing from any answer, and no log line
 * holds a number or a text.
 */

const NAME = 'Grethe Hansen'
const PHONE = '+4561234567'
const MSISDN = '4561234567'
const OTHER_MSISDN = '4561234999'

async function smsApp (webhookSecret: string | null = FAKE_WEBHOOK_SECRET) {
  const gateway = await startFakeGateway()
  closeWhenTestEnds(async () => { await gateway.close() })
  let log = ''
  const logStream = new Writable({ write (chunk: Buffer, _enc, done) { log += chunk.toString(); done() } })
  const config: Config = testConfig({ logLevel: 'info' })
  config.sms = { ...config.sms, provider: 'gatewayapi', apiUrl: gateway.url, apiToken: FAKE_TOKEN, webhookSecret, quietHours: null }
  const db = await createTestDb()
  const app = await buildApp({ config, db, closeDb: true, logStream })
  closeWhenTestEnds(async () => { await app.close() })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  return { app, db, gateway, url, log: () => log }
}

type SmsApp = Awaited<ReturnType<typeof smsApp>>

/** A booking with a yes to texts, a mobile number and an e-mail, with a reminder sent as a text (and kept as an e-mail). */
async function bookedAndTexted (t: SmsApp) {
  const start = DateTime.now().setZone(ZONE).plus({ hours: 2, minutes: 30 }).startOf('minute')
  const classId = await createClass(t.db, { meetings: [start.toISO({ includeOffset: false }) as string] })
  const booked = await bookNew(t.db, CITIZEN, classId, bookingInput({ name: NAME, phone: PHONE, email: 'grethe@example.dk' }), { source: 'phone', now: new Date(Date.now() - 86400_000) })
  await t.db.updateTable('bookings').set({ sms_consent: 1 }).where('token', '=', booked.token).execute()
  await queueDueReminders(t.db, t.app.config.reminderOffsets)
  await t.app.mail.worker.runOnce()
  const [text] = await t.gateway.waitForSent(1)
  const email = await t.db.selectFrom('outbox').selectAll().where('channel', '=', 'email').executeTakeFirstOrThrow()
  const sms = await t.db.selectFrom('outbox').selectAll().where('channel', '=', 'sms').executeTakeFirstOrThrow()
  return { text: text as FakeGateway['sent'][number], email, sms }
}

const TABLES = ['outbox', 'sms_numbers', 'sms_inbound', 'call_tasks', 'bookings', 'audit_log'] as const
async function snapshot (t: SmsApp): Promise<string> {
  return JSON.stringify(await Promise.all(TABLES.map(async table => await t.db.selectFrom(table).selectAll().execute())))
}

/** A webhook call as anyone could make it: a JSON body and, if given, a header. */
async function post (t: SmsApp, path: 'status' | 'indgaaende', body: unknown, signature?: string) {
  const response = await fetch(`${t.url}/webhooks/sms/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'x-gwapi-signature': signature }) },
    body: JSON.stringify(body)
  })
  return { status: response.status, body: await response.text() }
}

const inboundPayload = (msisdn: string, message: string, id = 777001) => ({ id, msisdn: Number(msisdn), receiver: 4512345000, message, senttime: Math.floor(Date.now() / 1000), webhook_label: 'digikurser', country_code: 'DK', country_prefix: 45 })

describe('the SMS webhooks refuse every call not signed with the secret', () => {
  it('refuse a wrong secret, no signature, alg none, another algorithm and a forged header, and change nothing', async () => {
    const t = await smsApp()
    const { text, sms } = await bookedAndTexted(t)
    const before = await snapshot(t)
    const stop = inboundPayload(MSISDN, 'STOP')
    const report = { id: text.id, msisdn: Number(MSISDN), time: 1, status: 'UNDELIVERABLE', error: 'Invalid', code: '0x0', userref: String(sms.id) }
    const secret = new TextEncoder().encode(FAKE_WEBHOOK_SECRET)
    const answers = [
      // The fake GatewayAPI with a wrong secret.
      await t.gateway.inbound(t.url, MSISDN, 'STOP', { secret: 'not-the-secret-0123456789abcdef' }),
      await t.gateway.report(t.url, text, 'UNDELIVERABLE', { secret: 'not-the-secret-0123456789abcdef' }),
      // No signature at all.
      await post(t, 'indgaaende', stop),
      await post(t, 'status', report),
      // An unsigned JWT (alg none), and one made with the right secret but another algorithm.
      await post(t, 'indgaaende', stop, new UnsecuredJWT(stop).encode()),
      await post(t, 'status', report, new UnsecuredJWT(report).encode()),
      await post(t, 'indgaaende', stop, await new SignJWT(stop).setProtectedHeader({ alg: 'HS512' }).sign(secret)),
      // A signed token with its payload swapped, and rubbish.
      await post(t, 'indgaaende', stop, (await signGatewayJwt(inboundPayload(OTHER_MSISDN, 'Hej'), FAKE_WEBHOOK_SECRET)).replace(/\.[^.]+\./, `.${Buffer.from(JSON.stringify(stop)).toString('base64url')}.`)),
      await post(t, 'status', report, 'Bearer nonsense'),
      await post(t, 'status', report, '')
    ]
    expect(answers.map(a => a.status)).toEqual(Array(answers.length).fill(401))
    expect(await snapshot(t)).toBe(before)
    // The number still gets texts.
    expect(await t.db.selectFrom('sms_numbers').selectAll().execute()).toEqual([])
  })

  it('refuse every call with 503 when no secret is set, signed or not, and change nothing', async () => {
    const t = await smsApp(null)
    const { text } = await bookedAndTexted(t)
    const before = await snapshot(t)
    const answers = [
      await t.gateway.inbound(t.url, MSISDN, 'STOP'),
      await t.gateway.report(t.url, text, 'UNDELIVERABLE'),
      await post(t, 'indgaaende', inboundPayload(MSISDN, 'STOP'))
    ]
    expect(answers.map(a => a.status)).toEqual([503, 503, 503])
    for (const a of answers) expect(JSON.parse(a.body)).toEqual({ error: 'not_configured' })
    expect(await snapshot(t)).toBe(before)
  })

  it('believe the signed payload, never the body beside it', async () => {
    const t = await smsApp()
    await bookedAndTexted(t)
    // GatewayAPI's own call, delivered once.
    const genuine = inboundPayload(OTHER_MSISDN, 'Tak for sidst', 777002)
    const token = await signGatewayJwt(genuine, FAKE_WEBHOOK_SECRET)
    expect((await post(t, 'indgaaende', genuine, token)).status).toBe(200)
    const before = await snapshot(t)

    // Someone who caught that call sends its signature again with a STOP from Grethe's number in the body.
    const tampered = await post(t, 'indgaaende', inboundPayload(MSISDN, 'STOP', 777003), token)
    expect(tampered.status).toBe(200)
    expect(await snapshot(t)).toBe(before)

    // A signed STOP from one number with another number in the body stops the signed one only.
    const signedStop = inboundPayload(OTHER_MSISDN, 'STOP', 777004)
    expect((await post(t, 'indgaaende', inboundPayload(MSISDN, 'STOP', 777004), await signGatewayJwt(signedStop, FAKE_WEBHOOK_SECRET))).status).toBe(200)
    const numbers = await t.db.selectFrom('sms_numbers').select(['msisdn', 'stopped_at']).execute()
    expect(numbers.map(n => n.msisdn)).toEqual([OTHER_MSISDN])
    const inbound = await t.db.selectFrom('sms_inbound').select(['msisdn', 'message']).orderBy('id').execute()
    expect(inbound).toEqual([{ msisdn: OTHER_MSISDN, message: 'Tak for sidst' }, { msisdn: OTHER_MSISDN, message: 'STOP' }])
    // Grethe's texts still go to her.
    expect(await t.db.selectFrom('outbox').select('status').where('recipient', '=', MSISDN).where('kind', '=', 'sms_stopped').execute()).toEqual([])
  })

  it('refuse a signed payload of the wrong shape with 400, and change nothing', async () => {
    const t = await smsApp()
    const { text, sms } = await bookedAndTexted(t)
    const before = await snapshot(t)
    const signed = async (path: 'status' | 'indgaaende', payload: Record<string, unknown>) => await post(t, path, payload, await signGatewayJwt(payload, FAKE_WEBHOOK_SECRET))
    const answers = [
      await signed('indgaaende', { ...inboundPayload(MSISDN, 'STOP'), msisdn: MSISDN }),
      await signed('indgaaende', { id: 1, msisdn: Number(MSISDN) }),
      await signed('indgaaende', { ...inboundPayload(MSISDN, 'STOP'), id: 'x' }),
      await signed('status', { id: text.id, msisdn: Number(MSISDN), userref: String(sms.id) }),
      await signed('status', { id: String(text.id), msisdn: Number(MSISDN), status: 'UNDELIVERABLE', userref: String(sms.id) }),
      await signed('status', { id: text.id, msisdn: Number(MSISDN), status: 'UNDELIVERABLE', userref: sms.id })
    ]
    expect(answers.map(a => a.status)).toEqual(Array(answers.length).fill(400))
    for (const a of answers) expect(JSON.parse(a.body)).toEqual({ error: 'invalid_payload' })
    expect(await snapshot(t)).toBe(before)
  })

  it('never let a delivery report touch an e-mail, or a text whose provider id is another', async () => {
    const t = await smsApp()
    const { text, email, sms } = await bookedAndTexted(t)
    const before = await snapshot(t)
    const signedReport = async (payload: Record<string, unknown>) => await post(t, 'status', payload, await signGatewayJwt(payload, FAKE_WEBHOOK_SECRET))
    const answers = [
      // Our id of the e-mail, as if it were a text.
      await signedReport({ id: text.id, msisdn: Number(MSISDN), status: 'UNDELIVERABLE', error: 'x', code: null, userref: String(email.id) }),
      // The text's id with another provider id.
      await signedReport({ id: text.id + 1, msisdn: Number(MSISDN), status: 'UNDELIVERABLE', error: 'x', code: null, userref: String(sms.id) }),
      // No reference, and a provider id we never had.
      await signedReport({ id: 99999999, msisdn: Number(MSISDN), status: 'UNDELIVERABLE', error: 'x', code: null, userref: null }),
      await signedReport({ id: 99999999, msisdn: Number(MSISDN), status: 'UNDELIVERABLE', userref: '99999999999999' })
    ]
    // Answered as any other report, so GatewayAPI stops retrying; nothing recorded.
    expect(answers.map(a => a.status)).toEqual([200, 200, 200, 200])
    expect(await snapshot(t)).toBe(before)
    const row = await t.db.selectFrom('outbox').select(['delivery_status', 'delivery_error']).where('id', '=', email.id).executeTakeFirstOrThrow()
    expect(row).toEqual({ delivery_status: null, delivery_error: null })
    expect(t.log()).toContain('delivery report for a text we do not know')
  })

  it('tell a stranger nothing, and log no number, name or text', async () => {
    const t = await smsApp()
    const { text, sms } = await bookedAndTexted(t)
    const answers = [
      // Known and unknown, signed: the same answer.
      await t.gateway.report(t.url, text, 'DELIVERED'),
      await t.gateway.report(t.url, { ...text, id: 424242, userref: '424242' }, 'DELIVERED'),
      await t.gateway.inbound(t.url, MSISDN, 'Jeg kan ikke komme i morgen, min datter er syg'),
      await t.gateway.inbound(t.url, OTHER_MSISDN, 'Hvem er det?'),
      // Refused.
      await post(t, 'indgaaende', inboundPayload(MSISDN, 'STOP')),
      await post(t, 'status', { id: text.id, msisdn: Number(MSISDN), status: 'DELIVERED', userref: String(sms.id) }, 'x.y.z')
    ]
    expect(answers.map(a => a.status)).toEqual([200, 200, 200, 200, 401, 401])
    expect(new Set(answers.slice(0, 4).map(a => a.body))).toEqual(new Set(['{"ok":true}']))
    const secrets = [MSISDN, OTHER_MSISDN, '61 23 45 67', NAME, 'grethe@example.dk', 'datter er syg', 'Hvem er det', text.message.slice(0, 20)]
    for (const a of answers) for (const s of secrets) expect(a.body).not.toContain(s)
    await t.app.close()
    for (const s of secrets) expect(t.log(), s).not.toContain(s)
    expect(t.log()).toContain('text received')
  })
})
