import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import MailComposer from 'nodemailer/lib/mail-composer/index.js'
import addressparser from 'nodemailer/lib/addressparser/index.js'
import type { Db } from '../db/connection.ts'
import type { OutboxRow } from '../db/schema.ts'
import { claimNextDue, finishMessage, markLostHandovers, markSending } from '../repositories/outbox-repository.ts'
import type { MailContext } from './content.ts'
import { messageOf } from './outbox.ts'
import { renderMail } from './render.ts'
import type { MailTransport, SmtpError } from './transport.ts'
import { type SmsContext, renderSms } from './sms-text.ts'
import { SmsSendError, type SmsTransport } from './sms-transport.ts'
import { type QuietHours, smsSendMoment } from '../domain/sms.ts'
import { countSmsSentSince, findBlockedNumbers, recordSmsText } from '../repositories/sms-repository.ts'
import { copenhagenMonthStart } from '../domain/time.ts'

export interface WorkerOptions {
  db: Db
  /** null: no mail server; messages are kept in the outbox for staff to read. */
  transport: MailTransport | null
  from: string
  context: Omit<MailContext, 'now'>
  /** Texts: the provider (null: kept in the outbox for staff to read) and the rules they go out by. */
  sms?: SmsWorkerOptions
  /** How long a worker may hold a claimed or handed-over message. */
  leaseMs?: number
  /** Messages per run. */
  batchSize?: number
  log?: { info: (obj: object, msg: string) => void, warn: (obj: object, msg: string) => void }
}

export interface SmsWorkerOptions {
  transport: SmsTransport | null
  quietHours: QuietHours | null
  /** Texts a calendar month (Copenhagen); 0: no limit. */
  monthlyLimit: number
  context: Omit<SmsContext, 'now'>
}

/** How long a text waits before the budget is looked at again. */
const BUDGET_RECHECK_MS = 60 * 60_000

/** After the n-th failed try, wait this long: 1 min, 5 min, 15 min, 1 h, 3 h, 6 h, 12 h. */
const BACKOFF_MINUTES = [1, 5, 15, 60, 180, 360, 720]
export const MAX_ATTEMPTS = BACKOFF_MINUTES.length + 1

export function retryDelayMs (attempts: number): number {
  return (BACKOFF_MINUTES[Math.min(attempts, BACKOFF_MINUTES.length) - 1] ?? 1) * 60_000
}

/** A refusal that will not change by trying again: this recipient or this content is refused. */
function isPermanent (error: SmtpError): boolean {
  return error.responseCode !== undefined && error.responseCode >= 500 && /RCPT|DATA|^\.?$/.test(error.command ?? '')
}

/**
 * Emits the message, and just before its end (when the mail server would get the final
 * dot and accept it) runs `beforeEnd`. A message that never reaches that point was
 * certainly not accepted and may safely be sent again.
 */
function handoverStream (body: Buffer, beforeEnd: () => Promise<void>): Readable {
  let stage = 0
  return new Readable({
    read () {
      if (stage === 0) {
        stage = 1
        this.push(body)
      } else if (stage === 1) {
        stage = 2
        beforeEnd().then(() => this.push(null), (error: Error) => this.destroy(error))
      }
    }
  })
}

/**
 * Sends due messages from the outbox, one at a time.
 *
 * The promise is "at most once": a message is marked 'sending' just before the mail
 * server gets its final dot. If the worker dies after that mark and before it records the
 * answer, nobody knows whether the message arrived; it is marked 'unknown' once its lease
 * runs out, shown to staff, and never resent without a person deciding so. A message that
 * dies before the mark (claimed, connecting, or being written) is sent again when its
 * lease runs out. Network errors and temporary refusals are retried with backoff.
 */
/**
 * Until when a text is of use: its reminder's meeting (the row's expiry), else the first
 * meeting of its class that has not begun. Null when it is about no meeting.
 */
function usefulUntil (message: ReturnType<typeof messageOf>, row: OutboxRow, at: Date): Date | null {
  if (row.expires_at !== null) return new Date(row.expires_at)
  if (!('cls' in message)) return null
  const next = message.cls.meetings.map(m => new Date(m.starts_at)).find(d => d.getTime() > at.getTime())
  return next ?? null
}

export class OutboxWorker {
  readonly id = `worker-${process.pid}-${randomBytes(4).toString('hex')}`
  private readonly leaseMs: number
  private readonly batchSize: number
  private running: Promise<number> | null = null
  private stopped = false
  /** The bare address of MAIL_FROM, for the SMTP envelope. */
  private readonly envelopeFrom: string

  constructor (private readonly opts: WorkerOptions) {
    const [sender] = addressparser(opts.from, { flatten: true })
    this.envelopeFrom = sender?.address ?? opts.from
    this.leaseMs = opts.leaseMs ?? 5 * 60_000
    this.batchSize = opts.batchSize ?? 50
  }

  /** Stops taking messages and waits for the one being sent. */
  async stop (): Promise<void> {
    this.stopped = true
    await this.running?.catch(() => 0)
  }

  /** Sends what is due now; returns how many messages were handled. Never runs twice at once. */
  async runOnce (now: () => Date = () => new Date()): Promise<number> {
    if (this.running) return await this.running
    this.running = this.run(now).finally(() => { this.running = null })
    return await this.running
  }

  private async run (now: () => Date): Promise<number> {
    const { db } = this.opts
    const lost = await markLostHandovers(db, now().toISOString())
    if (lost > 0) this.opts.log?.warn({ count: lost }, 'outbox messages with unknown outcome')
    let handled = 0
    while (handled < this.batchSize && !this.stopped) {
      const at = now()
      const row = await claimNextDue(db, this.id, at.toISOString(), new Date(at.getTime() + this.leaseMs).toISOString())
      if (!row) break
      await this.deliver(row, now)
      handled++
    }
    return handled
  }

  private async deliver (row: OutboxRow, now: () => Date): Promise<void> {
    if (row.channel === 'sms') return await this.deliverSms(row, now)
    const { db, transport } = this.opts
    const attempts = row.attempts + 1
    const at = now()
    if (row.expires_at !== null && row.expires_at <= at.toISOString()) {
      await finishMessage(db, row.id, this.id, row.attempts, { status: 'failed', error: 'For sent: tidspunktet var passeret, før den kunne sendes.' })
      return
    }
    if (!transport) {
      await finishMessage(db, row.id, this.id, row.attempts, { status: 'kept', at: at.toISOString() })
      return
    }
    let handedOver = false
    try {
      const body = await this.compose(row, at)
      const raw = handoverStream(body, async () => {
        if (!await markSending(db, row.id, this.id)) throw new Error('lost the claim on this message')
        handedOver = true
      })
      const { response } = await transport.send({ from: this.envelopeFrom, to: row.recipient }, raw)
      await finishMessage(db, row.id, this.id, attempts, { status: 'sent', at: now().toISOString(), messageId: this.messageId(row) })
      this.opts.log?.info({ outboxId: row.id, kind: row.kind, smtp: response.slice(0, 3) }, 'e-mail sent')
    } catch (caught) {
      const error = caught as SmtpError
      const reason = `${error.responseCode ?? ''} ${error.message}`.trim()
      if (handedOver && error.responseCode === undefined) {
        await finishMessage(db, row.id, this.id, attempts, { status: 'unknown', error: reason })
      } else if (isPermanent(error) || attempts >= MAX_ATTEMPTS) {
        await finishMessage(db, row.id, this.id, attempts, { status: 'failed', error: reason })
      } else {
        await finishMessage(db, row.id, this.id, attempts, { status: 'queued', notBefore: new Date(now().getTime() + retryDelayMs(attempts)).toISOString(), error: reason })
      }
      this.opts.log?.warn({ outboxId: row.id, kind: row.kind, attempts, code: error.responseCode, handedOver }, 'e-mail not sent')
    }
  }

  /**
   * Sends one text, with the same promise as an e-mail: marked 'sending' just before the
   * request goes to the provider, so a worker that dies then leaves it 'unknown', never
   * sent twice blindly. Quiet hours and the month's budget move it to later without
   * counting a try. 429, 5xx, no answer and a failed connection are tried again with the
   * same back-off as e-mail; any other 4xx is final, with the provider's words kept.
   */
  private async deliverSms (row: OutboxRow, now: () => Date): Promise<void> {
    const { db } = this.opts
    const sms = this.opts.sms ?? { transport: null, quietHours: null, monthlyLimit: 0, context: { publicUrl: this.opts.context.publicUrl, contactPhone: this.opts.context.contactPhone, includeLink: false } }
    const at = now()
    if (row.expires_at !== null && row.expires_at <= at.toISOString()) {
      await finishMessage(db, row.id, this.id, row.attempts, { status: 'failed', error: 'For sent: tidspunktet var passeret, før den kunne sendes.' })
      return
    }
    const message = messageOf(row)
    const text = renderSms(message, { ...sms.context, now: at })
    if (text === null) {
      await finishMessage(db, row.id, this.id, row.attempts, { status: 'failed', error: 'Denne slags besked sendes ikke som sms.' })
      return
    }
    // A reply to the citizen's own STOP or START goes at once; anything else waits for morning.
    const isAnswer = message.kind === 'sms_stopped' || message.kind === 'sms_started'
    // STOP withdraws the queued texts to a number, but not one a worker held then (or one
    // whose worker died holding it): asked again here, so that STOP stops every text.
    if (!isAnswer && (await findBlockedNumbers(db, [row.recipient])).size > 0) {
      await finishMessage(db, row.id, this.id, row.attempts, { status: 'failed', error: 'Ikke sendt: nummeret har svaret STOP eller er markeret som fastnet.' })
      return
    }
    await recordSmsText(db, row.id, this.id, text)
    const moment = isAnswer ? at : smsSendMoment(at, sms.quietHours, usefulUntil(message, row, at))
    if (moment.getTime() > at.getTime()) {
      await finishMessage(db, row.id, this.id, row.attempts, { status: 'queued', notBefore: moment.toISOString(), error: 'Venter til efter stille-timerne (ingen sms om natten).' })
      return
    }
    if (!sms.transport) {
      await finishMessage(db, row.id, this.id, row.attempts, { status: 'kept', at: at.toISOString() })
      return
    }
    if (sms.monthlyLimit > 0 && !isAnswer && await countSmsSentSince(db, copenhagenMonthStart(at)) >= sms.monthlyLimit) {
      await finishMessage(db, row.id, this.id, row.attempts, { status: 'queued', notBefore: new Date(at.getTime() + BUDGET_RECHECK_MS).toISOString(), error: `Månedens sms-budget (${sms.monthlyLimit}) er brugt; venter.` })
      this.opts.log?.warn({ outboxId: row.id, limit: sms.monthlyLimit }, 'monthly SMS budget reached')
      return
    }
    const attempts = row.attempts + 1
    if (!await markSending(db, row.id, this.id, at.toISOString())) return
    try {
      const { providerId } = await sms.transport.send({ msisdn: row.recipient, message: text, reference: String(row.id) })
      await finishMessage(db, row.id, this.id, attempts, { status: 'sent', at: now().toISOString(), messageId: providerId })
      this.opts.log?.info({ outboxId: row.id, kind: row.kind }, 'text sent')
    } catch (caught) {
      const error = caught instanceof SmsSendError ? caught : new SmsSendError((caught as Error).message)
      if (!error.temporary || attempts >= MAX_ATTEMPTS) {
        await finishMessage(db, row.id, this.id, attempts, { status: 'failed', error: error.message })
      } else {
        await finishMessage(db, row.id, this.id, attempts, { status: 'queued', notBefore: new Date(now().getTime() + retryDelayMs(attempts)).toISOString(), error: error.message })
      }
      this.opts.log?.warn({ outboxId: row.id, kind: row.kind, attempts, status: error.status }, 'text not sent')
    }
  }

  private messageId (row: OutboxRow): string {
    return `<outbox-${row.id}.${row.created_at.replace(/\D/g, '')}@${new URL(this.opts.context.publicUrl).hostname}>`
  }

  private async compose (row: OutboxRow, at: Date): Promise<Buffer> {
    const mail = await renderMail(messageOf(row), { ...this.opts.context, now: at })
    return await new MailComposer({
      from: this.opts.from,
      to: row.recipient,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      attachments: mail.attachments,
      headers: mail.headers,
      messageId: this.messageId(row),
      date: at
    }).compile().build()
  }
}
