import type { Tx } from '../db/connection.ts'
import type { NewOutboxRow, OutboxChannel, OutboxRow } from '../db/schema.ts'
import { insertOutboxRows } from '../repositories/outbox-repository.ts'
import { type MailMessage, subjectOf } from './messages.ts'

export interface QueueOptions {
  recipient: string
  /** A message with a key is written once, however often it is queued (reminders). */
  dedupeKey?: string
  bookingId?: number
  classId?: number
  /** Not before this moment; default now. */
  notBefore?: string
  /** Not worth sending after this moment. */
  expiresAt?: string
}

/**
 * Writes a message to the outbox. Call it inside the transaction of the change that
 * causes the message: the message then exists exactly when the change does.
 * Returns false when a message with the same dedupe key was already there.
 */
export async function queueMail (tx: Tx, message: MailMessage, opts: QueueOptions, now: Date = new Date()): Promise<boolean> {
  return await insertOutboxRows(tx, [outboxRow(message, 'email', opts.recipient, opts, now)]) === 1
}

/** One outbox row, waiting: e-mail or text alike. */
function outboxRow (message: MailMessage, channel: OutboxChannel, recipient: string, opts: Omit<QueueOptions, 'recipient'>, now: Date): NewOutboxRow {
  const at = now.toISOString()
  return {
    kind: message.kind,
    channel,
    recipient,
    subject: subjectOf(message, now).slice(0, 300),
    payload_json: JSON.stringify(message),
    dedupe_key: opts.dedupeKey ?? null,
    booking_id: opts.bookingId ?? null,
    class_id: opts.classId ?? null,
    status: 'queued',
    not_before: opts.notBefore ?? at,
    expires_at: opts.expiresAt ?? null,
    claimed_by: null,
    claimed_until: null,
    created_at: at,
    sent_at: null,
    message_id: null,
    last_error: null
  }
}

export interface SmsQueueOptions {
  /** The MSISDN: country code and number, digits only ("4512345678"). */
  msisdn: string
  dedupeKey?: string
  bookingId?: number
  classId?: number
  notBefore?: string
  expiresAt?: string
}

/**
 * Writes a text message to the outbox, like `queueMail`: in the transaction of the change
 * that causes it. Its words are made when it is sent (within 160 GSM-7 characters, outside
 * the quiet hours); until then the row shows what it is about.
 */
export async function queueSms (tx: Tx, message: MailMessage, opts: SmsQueueOptions, now: Date = new Date()): Promise<boolean> {
  return await insertOutboxRows(tx, [outboxRow(message, 'sms', opts.msisdn, opts, now)]) === 1
}

export function messageOf (row: Pick<OutboxRow, 'payload_json'>): MailMessage {
  return JSON.parse(row.payload_json) as MailMessage
}
