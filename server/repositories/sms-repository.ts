import { sql } from 'kysely'
import type { DbOrTx } from '../db/connection.ts'
import type { CallTaskReason, CallTaskRow, DeliveryStatus, InboundKind, OutboxRow, SmsInboundRow } from '../db/schema.ts'

/** Of these numbers, those that get no texts: they said STOP, or staff marked them as landlines. */
export async function findBlockedNumbers (db: DbOrTx, msisdns: string[]): Promise<Set<string>> {
  if (msisdns.length === 0) return new Set()
  const rows = await db.selectFrom('sms_numbers').select('msisdn')
    .where('msisdn', 'in', msisdns)
    .where(eb => eb.or([eb('stopped_at', 'is not', null), eb('landline_at', 'is not', null)]))
    .execute()
  return new Set(rows.map(r => r.msisdn))
}

export interface NumberState { msisdn: string, stopped_at: string | null, landline_at: string | null }

export async function findNumberStates (db: DbOrTx, msisdns: string[]): Promise<Map<string, NumberState>> {
  if (msisdns.length === 0) return new Map()
  const rows = await db.selectFrom('sms_numbers').select(['msisdn', 'stopped_at', 'landline_at']).where('msisdn', 'in', msisdns).execute()
  return new Map(rows.map(r => [r.msisdn, r]))
}

/** STOP (stopped: true) or START (false) for a number. Returns whether it changed. */
export async function setNumberStopped (db: DbOrTx, msisdn: string, stopped: boolean, at: string): Promise<boolean> {
  const existing = await db.selectFrom('sms_numbers').select('stopped_at').where('msisdn', '=', msisdn).executeTakeFirst()
  if (!existing) {
    if (!stopped) return false
    await db.insertInto('sms_numbers').values({ msisdn, stopped_at: at, landline_at: null, updated_at: at })
      .onConflict(oc => oc.column('msisdn').doUpdateSet({ stopped_at: at, updated_at: at })).execute()
    return true
  }
  if ((existing.stopped_at !== null) === stopped) return false
  await db.updateTable('sms_numbers').set({ stopped_at: stopped ? at : null, updated_at: at }).where('msisdn', '=', msisdn).execute()
  return true
}

/** Staff mark a number as a landline (no texts), or take the mark away. */
export async function setNumberLandline (db: DbOrTx, msisdn: string, landline: boolean, at: string): Promise<void> {
  await db.insertInto('sms_numbers').values({ msisdn, stopped_at: null, landline_at: landline ? at : null, updated_at: at })
    .onConflict(oc => oc.column('msisdn').doUpdateSet({ landline_at: landline ? at : null, updated_at: at })).execute()
}

/** Queued texts to a number are withdrawn (after STOP, or when it is marked as a landline). */
export async function withdrawQueuedSms (db: DbOrTx, msisdn: string, reason: string): Promise<number> {
  const result = await db.updateTable('outbox').set({ status: 'withdrawn', last_error: reason })
    .where('channel', '=', 'sms').where('recipient', '=', msisdn).where('status', '=', 'queued')
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** Texts handed to the provider since a moment (the budget counts these). */
export async function countSmsSentSince (db: DbOrTx, since: string): Promise<number> {
  const row = await db.selectFrom('outbox').select(eb => eb.fn.countAll().as('n'))
    .where('channel', '=', 'sms').where('status', 'in', ['sending', 'sent', 'unknown']).where('sent_at', '>=', since)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Texts queued or waiting (also waiting for the budget). */
export async function countSmsWaiting (db: DbOrTx): Promise<number> {
  const row = await db.selectFrom('outbox').select(eb => eb.fn.countAll().as('n'))
    .where('channel', '=', 'sms').where('status', 'in', ['queued', 'claimed'])
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** The words of a text as they go out, kept on its row. */
export async function recordSmsText (db: DbOrTx, id: number, worker: string, text: string): Promise<void> {
  await db.updateTable('outbox').set({ subject: text.slice(0, 300) })
    .where('id', '=', id).where('claimed_by', '=', worker).execute()
}

/** A sent text by our id (the reference GatewayAPI returns) or by the provider's id. */
export async function findSentSms (db: DbOrTx, ref: { outboxId?: number, providerId?: string }): Promise<OutboxRow | undefined> {
  let query = db.selectFrom('outbox').selectAll().where('channel', '=', 'sms')
  if (ref.outboxId !== undefined) query = query.where('id', '=', ref.outboxId)
  else if (ref.providerId) query = query.where('message_id', '=', ref.providerId)
  else return undefined
  return await query.executeTakeFirst()
}

export async function recordDelivery (db: DbOrTx, id: number, status: DeliveryStatus, at: string, error: string | null): Promise<void> {
  await db.updateTable('outbox').set({ delivery_status: status, delivery_at: at, delivery_error: error?.slice(0, 500) ?? null })
    .where('id', '=', id).execute()
}

/**
 * A text whose fate was unknown (the worker stopped while GatewayAPI answered) that a
 * delivery report shows the provider took: sent, with the provider's id.
 */
export async function settleUnknownSms (db: DbOrTx, id: number, providerId: string, at: string): Promise<boolean> {
  const result = await db.updateTable('outbox').set({ status: 'sent', message_id: providerId, sent_at: at, last_error: null })
    .where('id', '=', id).where('channel', '=', 'sms').where('status', '=', 'unknown').where('message_id', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function insertInbound (db: DbOrTx, row: { provider_id: string | null, msisdn: string, message: string, kind: InboundKind, received_at: string, booking_id: number | null }): Promise<boolean> {
  const result = await db.insertInto('sms_inbound').values({ ...row, handled_at: null })
    .onConflict(oc => oc.column('provider_id').doNothing()).executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1
}

export interface InboundListRow extends SmsInboundRow {
  booking_token: string | null
  participant_name: string | null
  course_title: string | null
  class_id: number | null
}

export async function listInbound (db: DbOrTx, limit: number, offset: number): Promise<InboundListRow[]> {
  return await db.selectFrom('sms_inbound')
    .leftJoin('bookings', 'bookings.id', 'sms_inbound.booking_id')
    .leftJoin('participants', 'participants.id', 'bookings.participant_id')
    .leftJoin('classes', 'classes.id', 'bookings.class_id')
    .leftJoin('courses', 'courses.slug', 'classes.course_slug')
    .selectAll('sms_inbound')
    .select([
      'bookings.token as booking_token',
      sql<string | null>`coalesce(bookings.person_name, participants.name)`.as('participant_name'),
      'courses.title as course_title',
      'bookings.class_id as class_id'
    ])
    .orderBy('sms_inbound.id', 'desc').limit(limit).offset(offset).execute()
}

export async function markInboundHandled (db: DbOrTx, id: number, at: string | null): Promise<boolean> {
  const result = await db.updateTable('sms_inbound').set({ handled_at: at }).where('id', '=', id).executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function countUnhandledInbound (db: DbOrTx): Promise<number> {
  const row = await db.selectFrom('sms_inbound').select(eb => eb.fn.countAll().as('n'))
    .where('kind', '=', 'reply').where('handled_at', 'is', null).executeTakeFirstOrThrow()
  return Number(row.n)
}

/**
 * The booking a text from this number most likely concerns: the active booking (own or
 * made for someone) of the class that starts next, else the latest one.
 */
export async function findBookingForNumber (db: DbOrTx, e164: string, now: string): Promise<number | null> {
  const rows = await db.selectFrom('bookings')
    .innerJoin('meetings', 'meetings.class_id', 'bookings.class_id')
    .select(['bookings.id', sql<string>`min(meetings.starts_at)`.as('first'), sql<string>`max(meetings.starts_at)`.as('last')])
    .where(eb => eb.or([eb('bookings.contact_phone', '=', e164), eb('bookings.booker_phone', '=', e164)]))
    .where('bookings.status', 'in', ['confirmed', 'waitlisted'])
    .groupBy('bookings.id')
    .execute()
  const upcoming = rows.filter(r => r.last >= now).sort((a, b) => a.first.localeCompare(b.first))
  const pick = upcoming[0] ?? rows.sort((a, b) => b.id - a.id)[0]
  return pick?.id ?? null
}

export async function insertCallTask (db: DbOrTx, task: { booking_id: number, day: string, reason: CallTaskReason, text: string | null, dedupe_key: string, created_at: string }): Promise<boolean> {
  const result = await db.insertInto('call_tasks').values({ ...task, called_at: null, called_by: null })
    .onConflict(oc => oc.column('dedupe_key').doNothing()).executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1
}

export interface CallTaskEntry extends CallTaskRow {
  name: string
  phone: string | null
  booker_name: string | null
  booker_phone: string | null
  course_title: string
  class_id: number
  booking_status: string
  /** The staff member who ticked "Ringet". */
  called_by_name: string | null
}

/** The people to phone on a day for a text that did not arrive or a message to their class. */
export async function listCallTasks (db: DbOrTx, day: string): Promise<CallTaskEntry[]> {
  return await db.selectFrom('call_tasks')
    .innerJoin('bookings', 'bookings.id', 'call_tasks.booking_id')
    .innerJoin('participants', 'participants.id', 'bookings.participant_id')
    .innerJoin('classes', 'classes.id', 'bookings.class_id')
    .innerJoin('courses', 'courses.slug', 'classes.course_slug')
    .leftJoin('staff_users', 'staff_users.id', 'call_tasks.called_by')
    .selectAll('call_tasks')
    .select([
      sql<string>`coalesce(bookings.person_name, participants.name)`.as('name'),
      'bookings.contact_phone as phone', 'bookings.booker_name', 'bookings.booker_phone',
      'courses.title as course_title', 'bookings.class_id', 'bookings.status as booking_status',
      'staff_users.name as called_by_name'
    ])
    .where('call_tasks.day', '=', day)
    .orderBy('call_tasks.id').execute()
}

export async function findCallTask (db: DbOrTx, id: number): Promise<CallTaskRow | undefined> {
  return await db.selectFrom('call_tasks').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function markCallTaskCalled (db: DbOrTx, id: number, staffId: number | null, at: string | null): Promise<boolean> {
  const result = await db.updateTable('call_tasks').set({ called_at: at, called_by: at ? staffId : null }).where('id', '=', id).executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}
