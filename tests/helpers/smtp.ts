import type { AddressInfo } from 'node:net'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  to: string
  raw: string
  parsed: ParsedMail
}

export interface SmtpPeer {
  port: number
  url: string
  received: ReceivedMail[]
  /** Messages per Message-ID: a value above 1 is a message sent twice. */
  countsByMessageId: () => Map<string, number>
  close: () => Promise<void>
}

export interface SmtpPeerOptions {
  port?: number
  /** Called after a message is accepted (250 sent), with how many have been accepted. */
  onAccepted?: (count: number) => void
  /** Called at each MAIL FROM, with how many transactions have begun. */
  onTransaction?: (count: number) => void
  /** Answer the final dot with this error instead of accepting, e.g. { code: 451 }. */
  refuse?: (to: string) => { code: number, message: string } | null
  /** Wait this long before answering the final dot (a slow mail server). */
  delayMs?: number
}

/** A real SMTP server on 127.0.0.1 that keeps and parses what it accepts. */
export async function startSmtpPeer (opts: SmtpPeerOptions = {}): Promise<SmtpPeer> {
  const received: ReceivedMail[] = []
  let transactions = 0
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onMailFrom (_address, _session, callback) {
      transactions++
      opts.onTransaction?.(transactions)
      callback()
    },
    onData (stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map(r => r.address).join(',')
        const refusal = opts.refuse?.(to)
        if (refusal) {
          callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }))
          return
        }
        const raw = Buffer.concat(chunks).toString('utf8')
        new Promise(resolve => setTimeout(resolve, opts.delayMs ?? 0)).then(async () => await simpleParser(raw)).then(parsed => {
          received.push({ to, raw, parsed })
          callback()
          opts.onAccepted?.(received.length)
        }, (error: Error) => callback(error))
      })
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  const port = (server.server.address() as AddressInfo).port
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    countsByMessageId: () => {
      const counts = new Map<string, number>()
      for (const m of received) counts.set(m.parsed.messageId ?? '', (counts.get(m.parsed.messageId ?? '') ?? 0) + 1)
      return counts
    },
    close: async () => { await new Promise<void>(resolve => server.close(() => resolve())) }
  }
}

/** A port on 127.0.0.1 where nothing listens (yet). */
export async function freePort (): Promise<number> {
  const { createServer } = await import('node:net')
  const probe = createServer()
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', () => resolve()))
  const port = (probe.address() as AddressInfo).port
  await new Promise<void>(resolve => probe.close(() => resolve()))
  return port
}
