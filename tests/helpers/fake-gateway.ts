import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { SignJWT } from 'jose'

/**
 * A fake GatewayAPI: a real HTTP server on 127.0.0.1 that takes POST /rest/mtsms as
 * GatewayAPI does (JSON body, `Authorization: Token …`), records every request, and answers
 * as told: 200 with message ids, 500, 429, 401, or not at all. It can also call the app's
 * webhooks back the way GatewayAPI does: a JSON body, and the same payload as an HS256
 * JWT in the X-Gwapi-Signature header.
 */

export interface GatewayRequest {
  method: string
  path: string
  headers: IncomingMessage['headers']
  /** The parsed JSON body (undefined if it was not JSON). */
  json: MtSmsBody | undefined
  raw: string
  /** The answer it got: a status, or 'hang' for none. */
  answer: number | 'hang'
}

export interface MtSmsBody {
  sender?: string
  message: string
  recipients: Array<{ msisdn: number }>
  userref?: string
}

/** What to answer the next request with; default 200. */
export type GatewayAnswer = 200 | 400 | 401 | 422 | 429 | 500 | 503 | 'hang'

export interface SentText {
  id: number
  msisdn: string
  message: string
  sender: string | undefined
  userref: string | undefined
}

export interface FakeGateway {
  url: string
  token: string
  requests: GatewayRequest[]
  /** Texts it took (answered 200), in order. */
  sent: SentText[]
  /** Answers for the next requests, used up in order; after them `defaultAnswer`. */
  answers: GatewayAnswer[]
  defaultAnswer: GatewayAnswer
  /**
   * Called when a request has been read, before it is answered (for crash tests). A
   * promise it returns holds the answer until it settles (to have two in flight at once).
   */
  onRequest?: (request: GatewayRequest) => void | Promise<void>
  /** Texts taken per userref: a value above 1 is a text sent twice. */
  countsByReference: () => Map<string, number>
  /** Waits until at least n texts were taken. */
  waitForSent: (n: number, timeoutMs?: number) => Promise<SentText[]>
  /** Posts a delivery report for a text it took to the app's status webhook. */
  report: (appUrl: string, text: SentText, status: 'DELIVERED' | 'UNDELIVERABLE' | 'EXPIRED' | 'ENROUTE' | 'REJECTED', opts?: { secret?: string, error?: string, code?: string }) => Promise<{ status: number, body: string }>
  /** Posts an incoming text (MO SMS) from a number to the app's inbound webhook. */
  inbound: (appUrl: string, msisdn: string, message: string, opts?: { secret?: string, id?: number }) => Promise<{ status: number, body: string }>
  close: () => Promise<void>
}

export interface FakeGatewayOptions {
  token?: string
  /** The secret it signs webhook calls with (SMS_WEBHOOK_SECRET). */
  webhookSecret?: string
}

export const FAKE_TOKEN = 'fake-gatewayapi-token-0123456789'
export const FAKE_WEBHOOK_SECRET = 'fake-webhook-secret-0123456789abcdef'

export async function signGatewayJwt (payload: Record<string, unknown>, secret: string): Promise<string> {
  return await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret))
}

async function postWebhook (url: string, payload: Record<string, unknown>, secret: string): Promise<{ status: number, body: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gwapi-signature': await signGatewayJwt(payload, secret) },
    body: JSON.stringify(payload)
  })
  return { status: response.status, body: await response.text() }
}

export async function startFakeGateway (opts: FakeGatewayOptions = {}): Promise<FakeGateway> {
  const token = opts.token ?? FAKE_TOKEN
  const webhookSecret = opts.webhookSecret ?? FAKE_WEBHOOK_SECRET
  const sockets = new Set<Socket>()
  const hanging = new Set<ServerResponse>()
  let nextId = 1000
  let moId = 5000
  const waiters: Array<() => void> = []

  const gateway: FakeGateway = {
    url: '',
    token,
    requests: [],
    sent: [],
    answers: [],
    defaultAnswer: 200,
    countsByReference: () => {
      const counts = new Map<string, number>()
      for (const t of gateway.sent) counts.set(t.userref ?? '', (counts.get(t.userref ?? '') ?? 0) + 1)
      return counts
    },
    waitForSent: async (n, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs
      while (gateway.sent.length < n) {
        if (Date.now() > deadline) throw new Error(`fake gateway: ${gateway.sent.length} texts taken, waited for ${n}`)
        await new Promise<void>(resolve => {
          waiters.push(resolve)
          setTimeout(resolve, 200)
        })
      }
      return gateway.sent
    },
    report: async (appUrl, text, status, o = {}) => await postWebhook(`${appUrl}/webhooks/sms/status`, {
      id: text.id,
      msisdn: Number(text.msisdn),
      time: Math.floor(Date.now() / 1000),
      status,
      error: o.error ?? null,
      code: o.code ?? null,
      userref: text.userref ?? null,
      country_code: 'DK',
      country_prefix: 45
    }, o.secret ?? webhookSecret),
    inbound: async (appUrl, msisdn, message, o = {}) => await postWebhook(`${appUrl}/webhooks/sms/indgaaende`, {
      id: o.id ?? moId++,
      msisdn: Number(msisdn),
      receiver: 4512345000,
      message,
      senttime: Math.floor(Date.now() / 1000),
      webhook_label: 'digikurser',
      country_code: 'DK',
      country_prefix: 45
    }, o.secret ?? webhookSecret),
    close: async () => {
      for (const response of hanging) response.destroy()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      let json: MtSmsBody | undefined
      try {
        json = JSON.parse(raw) as MtSmsBody
      } catch {
        json = undefined
      }
      const path = (req.url ?? '').split('?')[0] ?? ''
      const authorized = req.headers.authorization === `Token ${token}`
      const planned = gateway.answers.shift() ?? gateway.defaultAnswer
      const answer: GatewayAnswer = !authorized ? 401 : planned
      const request: GatewayRequest = { method: req.method ?? '', path, headers: req.headers, json, raw, answer }
      gateway.requests.push(request)
      const hold = gateway.onRequest?.(request)
      if (hold) hold.then(() => { respond(req, res, request, json) }, () => { respond(req, res, request, json) })
      else respond(req, res, request, json)
    })
  })

  /** Answers a request as planned: 200 with message ids (the text is taken), an error, or nothing. */
  function respond (req: IncomingMessage, res: ServerResponse, request: GatewayRequest, json: MtSmsBody | undefined): void {
    const { path, answer } = request
    res.setHeader('content-type', 'application/json')
    if (req.method !== 'POST' || path !== '/rest/mtsms') {
      res.statusCode = 404
      res.end(JSON.stringify({ code: '0x0404', message: 'Not found' }))
      return
    }
    if (answer === 'hang') {
      hanging.add(res)
      return
    }
    if (answer !== 200) {
      const messages: Record<number, string> = {
        400: 'Invalid recipient',
        401: 'Unauthorized: invalid API token',
        422: 'Invalid json request body',
        429: 'Too many requests',
        500: 'Internal server error',
        503: 'Service unavailable'
      }
      res.statusCode = answer
      res.end(JSON.stringify({ code: `0x0${answer}`, message: messages[answer] ?? 'Error', incident_uuid: 'b6b3f1a2-0000-4000-8000-000000000000' }))
      return
    }
    if (!json || typeof json.message !== 'string' || !Array.isArray(json.recipients) || json.recipients.length === 0) {
      res.statusCode = 422
      res.end(JSON.stringify({ code: '0x0422', message: 'Invalid json request body' }))
      return
    }
    const ids: number[] = []
    for (const recipient of json.recipients) {
      const id = nextId++
      ids.push(id)
      gateway.sent.push({ id, msisdn: String(recipient.msisdn), message: json.message, sender: json.sender, userref: json.userref })
    }
    res.statusCode = 200
    res.end(JSON.stringify({ ids, usage: { countries: { DK: ids.length }, currency: 'DKK', total_cost: 0.32 * ids.length } }))
    for (const wake of waiters.splice(0)) wake()
  }

  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  gateway.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return gateway
}
