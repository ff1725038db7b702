import type { Db, DbOrTx } from '../db/connection.ts'
import type { DeliveryStatus, InboundKind } from '../db/schema.ts'
import { type Actor, actingStaffId } from '../domain/actor.ts'
import { classifyReply, mobileMsisdn } from '../domain/sms.ts'
import { answerByText } from './text-answer-service.ts'
import { copenhagenDate } from '../domain/time.ts'
import { queueSms } from '../mail/outbox.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { findBookingById } from '../repositories/booking-repository.ts'
import { findParticipant } from '../repositories/participant-repository.ts'
import {
  type NumberState, findBookingForNumber, findNumberStates, findSentSms, insertCallTask, insertInbound, markInboundHandled,
  recordDelivery, setNumberLandline, setNumberStopped, settleUnknownSms, withdrawQueuedSms
} from '../repositories/sms-repository.ts'

/**
 * Texts coming back from the SMS provider (delivery reports, replies, STOP and START),
 * and what staff do about numbers and replies. The webhooks act as the system: only a
 * call whose signature the route has checked reaches these.
 */

/** The webhooks' use cases are the platform's own: any other actor here is a route without its signature check. */
function requireSystem (actor: Actor): void {
  if (actor.kind !== 'system') throw new Error(`an SMS webhook use case was called by the ${actor.kind} actor`)
}

/** GatewayAPI's statuses we record; the others (SCHEDULED, DELETED, SKIPPED, UNKNOWN …) are ignored. */
const DELIVERY_STATUSES: Record<string, DeliveryStatus> = {
  DELIVERED: 'delivered',
  UNDELIVERABLE: 'undeliverable',
  EXPIRED: 'expired',
  REJECTED: 'rejected',
  ENROUTE: 'enroute',
  ACCEPTED: 'enroute',
  BUFFERED: 'enroute'
}

/** The text will not arrive: someone must phone. */
const NOT_ARRIVING = new Set<DeliveryStatus>(['undeliverable', 'expired', 'rejected'])

export interface DeliveryReport {
  /** The provider's id of the text. */
  providerId: string
  /** What we sent along (`userref`): our outbox id. */
  userref: string | null
  /** The provider's status, e.g. DELIVERED. */
  status: string
  error: string | null
  code: string | null
}

/** 'unknown': no text of ours has this id (answered 200 all the same, so the provider stops retrying). */
export type DeliveryOutcome = 'recorded' | 'ignored' | 'unknown'

/**
 * A delivery report from the provider, recorded on the text's outbox row. The row is found
 * by our own id (`userref`) and must carry the provider's id, when we know it. A text about
 * a booking that will not arrive puts the booking on that day's call list, once.
 */
export async function recordDeliveryReport (db: Db, actor: Actor, report: DeliveryReport, now: Date = new Date()): Promise<DeliveryOutcome> {
  requireSystem(actor)
  const at = now.toISOString()
  return await db.transaction().execute(async tx => {
    const outboxId = report.userref !== null && /^[1-9]\d{0,9}$/.test(report.userref) ? Number(report.userref) : undefined
    const row = outboxId !== undefined && outboxId <= 2147483647
      ? await findSentSms(tx, { outboxId })
      : await findSentSms(tx, { providerId: report.providerId })
    if (!row || (row.message_id !== null && row.message_id !== '' && row.message_id !== report.providerId)) return 'unknown'
    const status = DELIVERY_STATUSES[report.status.toUpperCase()]
    if (status === undefined) return 'ignored'
    // Reports may come out of order: a late "on its way" never hides how it ended.
    if (status === 'enroute' && row.delivery_status !== null && row.delivery_status !== 'enroute') return 'ignored'
    // The worker stopped while the provider answered: the report shows it was taken.
    if (row.status === 'unknown') await settleUnknownSms(tx, row.id, report.providerId, at)
    const error = [report.error, report.code ? `(${report.code})` : null].filter(Boolean).join(' ')
    await recordDelivery(tx, row.id, status, at, error === '' ? null : error)
    if (NOT_ARRIVING.has(status) && row.booking_id !== null) {
      await insertCallTask(tx, {
        booking_id: row.booking_id,
        day: copenhagenDate(now),
        reason: 'undeliverable',
        // What the text said, for staff to tell them on the phone.
        text: row.subject.slice(0, 1000),
        dedupe_key: `undeliverable:${row.id}`,
        created_at: at
      })
    }
    return 'recorded'
  })
}

export interface InboundText {
  /** The provider's id of the text (MO SMS), so that a webhook call sent again changes nothing. */
  providerId: string
  /** The sender: country code and number, digits only ("4512345678"). */
  msisdn: string
  message: string
}

/** Longest text kept (the column's width). */
const INBOUND_MAX = 2000

/**
 * A text sent to our number. It is kept, with the booking it most likely concerns, for
 * staff to read. STOP stops all texts to the number at once (texts waiting are withdrawn)
 * and START turns them on again; each is answered with one text, which goes at once.
 * A STOP or START that changes nothing is not answered, and the same text delivered
 * twice by the provider is taken once.
 */
export async function receiveInbound (db: Db, actor: Actor, inbound: InboundText, now: Date = new Date()): Promise<{ kind: InboundKind, duplicate: boolean, answered: boolean }> {
  requireSystem(actor)
  const at = now.toISOString()
  const msisdn = inbound.msisdn
  return await db.transaction().execute(async tx => {
    let kind: InboundKind = classifyReply(inbound.message)
    // JA or NEJ answers an open seat offer or "Kommer du?"; one that answers nothing is a reply for staff.
    const answered = kind === 'yes' || kind === 'no' ? await answerByText(tx, msisdn, kind, inbound.providerId, now) : null
    if (answered !== null && answered.bookingId === null) kind = 'reply'
    const bookingId = answered?.bookingId ?? await findBookingForNumber(tx, `+${msisdn}`, at)
    const fresh = await insertInbound(tx, { provider_id: inbound.providerId, msisdn, message: inbound.message.slice(0, INBOUND_MAX), kind, received_at: at, booking_id: bookingId })
    if (!fresh) throw new DuplicateInbound()
    if (kind === 'reply' || kind === 'yes' || kind === 'no') return { kind, duplicate: false, answered: answered !== null && answered.bookingId !== null }
    if (!await setNumberStopped(tx, msisdn, kind === 'stop', at)) return { kind, duplicate: false, answered: false }
    if (kind === 'stop') await withdrawQueuedSms(tx, msisdn, 'Ikke sendt: modtageren skrev STOP.')
    await queueSms(tx, { kind: kind === 'stop' ? 'sms_stopped' : 'sms_started' }, { msisdn, dedupeKey: `sms-answer:${inbound.providerId}` }, now)
    return { kind, duplicate: false, answered: true }
  }).catch((error: unknown) => {
    // The same text delivered again: the transaction (and any answer it gave) is undone.
    if (error instanceof DuplicateInbound) return { kind: classifyReply(inbound.message), duplicate: true, answered: false }
    throw error
  })
}

class DuplicateInbound extends Error {}

/** Staff mark a received text as dealt with, or take the mark away. False if there is no such text. */
export async function setInboundHandled (db: Db, actor: Actor, id: number, handled: boolean, now: Date = new Date()): Promise<boolean> {
  const staffId = actingStaffId(actor)
  return await db.transaction().execute(async tx => {
    if (!await markInboundHandled(tx, id, handled ? now.toISOString() : null)) return false
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: handled ? 'sms_reply_handled' : 'sms_reply_unhandled', subject_type: 'sms_inbound', subject_id: id, detail: null })
    return true
  })
}

/** Whose number staff mark: a booking's participant or the person who booked for them, or a participant's own. */
export type LandlineTarget = { bookingId: number, who: 'participant' | 'booker' } | { participantId: number }

/**
 * Staff mark a number as a landline (no texts; texts waiting to it are withdrawn, and its
 * bookings are phoned from the call list), or take the mark away. False when there is no
 * such booking or participant, or its number is not one that takes texts.
 */
export async function setLandline (db: Db, actor: Actor, target: LandlineTarget, landline: boolean, now: Date = new Date()): Promise<boolean> {
  const staffId = actingStaffId(actor)
  const at = now.toISOString()
  return await db.transaction().execute(async tx => {
    let phone: string | null
    let subject: { type: 'booking' | 'participant', id: number, detail: string | null }
    if ('bookingId' in target) {
      const booking = await findBookingById(tx, target.bookingId)
      if (!booking) return false
      phone = target.who === 'booker' ? booking.booker_phone : booking.phone
      subject = { type: 'booking', id: booking.id, detail: `number=${target.who}` }
    } else {
      const participant = await findParticipant(tx, target.participantId)
      if (!participant) return false
      phone = participant.phone
      subject = { type: 'participant', id: participant.id, detail: null }
    }
    const msisdn = mobileMsisdn(phone)
    if (msisdn === null) return false
    await setNumberLandline(tx, msisdn, landline, at)
    if (landline) await withdrawQueuedSms(tx, msisdn, 'Ikke sendt: nummeret er markeret som fastnet.')
    await insertAuditEntry(tx, { at, staff_user_id: staffId, action: landline ? 'sms_landline_marked' : 'sms_landline_unmarked', subject_type: subject.type, subject_id: subject.id, detail: subject.detail })
    return true
  })
}

/** What a page shows about a phone number and texts. */
export interface PhoneSmsState {
  phone: string
  /** False for a landline series number (or one that cannot take texts): never texted. */
  mobile: boolean
  stoppedAt: string | null
  landlineAt: string | null
}

/** For each phone number given (E.164), whether it takes texts, said STOP, or is marked as a landline. */
export async function describeNumbers (db: DbOrTx, phones: Array<string | null>): Promise<Map<string, PhoneSmsState>> {
  const given = [...new Set(phones.filter((p): p is string => p !== null))]
  const msisdns = new Map(given.map(p => [p, mobileMsisdn(p)]))
  const states = await findNumberStates(db, [...msisdns.values()].filter((m): m is string => m !== null))
  return new Map(given.map(phone => {
    const msisdn = msisdns.get(phone) ?? null
    const state: NumberState | undefined = msisdn === null ? undefined : states.get(msisdn)
    return [phone, { phone, mobile: msisdn !== null, stoppedAt: state?.stopped_at ?? null, landlineAt: state?.landline_at ?? null }]
  }))
}
