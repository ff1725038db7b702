import { type ExpressionBuilder, sql } from 'kysely'
import { type DbOrTx, isPostgres } from '../db/connection.ts'
import type { Database, NewOutboxRow, OutboxChannel, OutboxRow, OutboxStatus } from '../db/schema.ts'

/** Writes messages; one whose dedupe_key already exists is skipped. Returns how many were new. */
export async function insertOutboxRows (db: DbOrTx, rows: NewOutboxRow[]): Promise<number> {
  if (rows.length === 0) return 0
  const result = await db.insertInto('outbox').values(rows)
    .onConflict(oc => oc.column('dedupe_key').doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0)
}

const isDue = (now: string) => (eb: ExpressionBuilder<Database, 'outbox'>) => eb.or([
  eb.and([eb('status', '=', 'queued'), eb('not_before', '<=', now)]),
  eb.and([eb('status', '=', 'claimed'), eb('claimed_until', '<=', now)])
])

/**
 * Claims the next due message for one worker until `leaseUntil`: a queued message whose
 * time has come, or a claimed one whose worker let its lease run out before handing it
 * over. Two workers never claim the same message, on one server or several:
 * - on PostgreSQL one statement picks the row with FOR UPDATE SKIP LOCKED, so workers on
 *   other servers pass over the rows being claimed instead of waiting for them;
 * - on SQLite (one server, one writer) a compare-and-set update.
 */
export async function claimNextDue (db: DbOrTx, worker: string, now: string, leaseUntil: string): Promise<OutboxRow | undefined> {
  const claim = { status: 'claimed' as const, claimed_by: worker, claimed_until: leaseUntil }
  if (isPostgres(db)) {
    return await db.updateTable('outbox').set(claim)
      .where('id', '=', eb => eb.selectFrom('outbox').select('id').where(isDue(now))
        .orderBy('not_before').orderBy('id').limit(1).forUpdate().skipLocked())
      .returningAll().executeTakeFirst()
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const candidate = await db.selectFrom('outbox').select('id').where(isDue(now))
      .orderBy('not_before').orderBy('id').limit(1).executeTakeFirst()
    if (!candidate) return undefined
    const claimed = await db.updateTable('outbox').set(claim)
      .where('id', '=', candidate.id).where(isDue(now))
      .returningAll().executeTakeFirst()
    if (claimed) return claimed
  }
  return undefined
}

/**
 * The point of no return: the whole message is written, only the final dot is left (an
 * e-mail), or the request is about to go to the provider (a text). A text is counted in
 * the month's budget from here (sent_at), whatever its outcome.
 */
export async function markSending (db: DbOrTx, id: number, worker: string, at?: string): Promise<boolean> {
  const result = await db.updateTable('outbox').set(at === undefined ? { status: 'sending' } : { status: 'sending', sent_at: at })
    .where('id', '=', id).where('status', '=', 'claimed').where('claimed_by', '=', worker)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

type Outcome =
  | { status: 'sent', at: string, messageId: string }
  | { status: 'kept', at: string }
  | { status: 'queued', notBefore: string, error: string }
  | { status: 'failed' | 'unknown', error: string }

/** Records how a claimed message went, if this worker still holds it. */
export async function finishMessage (db: DbOrTx, id: number, worker: string, attempts: number, outcome: Outcome): Promise<void> {
  const base = { status: outcome.status, attempts, claimed_by: null, claimed_until: null }
  const changes = outcome.status === 'sent'
    ? { ...base, sent_at: outcome.at, message_id: outcome.messageId, last_error: null }
    : outcome.status === 'kept'
      ? { ...base, sent_at: null }
      : outcome.status === 'queued'
        ? { ...base, not_before: outcome.notBefore, last_error: outcome.error.slice(0, 500) }
        : { ...base, last_error: outcome.error.slice(0, 500) }
  await db.updateTable('outbox').set(changes)
    .where('id', '=', id).where('claimed_by', '=', worker).where('status', 'in', ['claimed', 'sending'])
    .execute()
}

/**
 * Messages a worker handed over but never heard back about (it stopped, or was killed,
 * while the mail server answered) are marked 'unknown': reported, never resent blindly.
 */
export async function markLostHandovers (db: DbOrTx, now: string): Promise<number> {
  let lost = 0
  for (const [channel, error] of [
    ['email', 'Afsendelsen blev afbrudt, mens mailserveren svarede. Den kan være sendt.'],
    ['sms', 'Afsendelsen blev afbrudt, mens sms-udbyderen svarede. Den kan være sendt.']
  ] as const) {
    const result = await db.updateTable('outbox')
      .set({ status: 'unknown', claimed_by: null, claimed_until: null, last_error: error })
      .where('status', '=', 'sending').where('claimed_until', '<=', now).where('channel', '=', channel)
      .executeTakeFirst()
    lost += Number(result.numUpdatedRows)
  }
  return lost
}

/**
 * Staff resend: a failed or unknown message goes back in the queue, due now. A reminder
 * keeps its expiry: it is still not sent once its meeting has begun.
 */
export async function requeueMessage (db: DbOrTx, id: number, now: string): Promise<boolean> {
  const result = await db.updateTable('outbox')
    .set({ status: 'queued', not_before: now, attempts: 0, last_error: null, delivery_status: null, delivery_at: null, delivery_error: null })
    .where('id', '=', id).where('status', 'in', ['failed', 'unknown'])
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/**
 * Withdraws messages still waiting in the queue that no longer hold: about a booking that
 * was cancelled or moved, or reminders about a class whose time or place changed. A
 * message already being sent is left alone.
 */
export async function withdrawQueued (db: DbOrTx, filter: { bookingIds?: number[], classId?: number, kinds?: string[], channel?: OutboxChannel }, reason: string): Promise<number> {
  if (filter.bookingIds?.length === 0) return 0
  let query = db.updateTable('outbox').set({ status: 'withdrawn', last_error: reason }).where('status', '=', 'queued')
  if (filter.bookingIds) query = query.where('booking_id', 'in', filter.bookingIds)
  if (filter.classId !== undefined) query = query.where('class_id', '=', filter.classId)
  if (filter.kinds) query = query.where('kind', 'in', filter.kinds)
  if (filter.channel) query = query.where('channel', '=', filter.channel)
  const result = await query.executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export async function findOutboxMessage (db: DbOrTx, id: number): Promise<OutboxRow | undefined> {
  return await db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst()
}

export interface OutboxFilter { status?: OutboxStatus, channel?: OutboxChannel, bookingId?: number, limit: number, offset: number }

export async function listOutboxMessages (db: DbOrTx, filter: OutboxFilter): Promise<OutboxRow[]> {
  let query = db.selectFrom('outbox').selectAll()
  if (filter.status) query = query.where('status', '=', filter.status)
  if (filter.channel) query = query.where('channel', '=', filter.channel)
  if (filter.bookingId !== undefined) query = query.where('booking_id', '=', filter.bookingId)
  return await query.orderBy('id', 'desc').limit(filter.limit).offset(filter.offset).execute()
}

/** Messages per status, of one channel or of both. */
export async function countOutboxByStatus (db: DbOrTx, channel?: OutboxChannel): Promise<Partial<Record<OutboxStatus, number>>> {
  let query = db.selectFrom('outbox').select(['status', sql<number>`count(*)`.as('n')])
  if (channel) query = query.where('channel', '=', channel)
  const rows = await query.groupBy('status').execute()
  return Object.fromEntries(rows.map(r => [r.status, Number(r.n)]))
}

/** E-mails of one kind to any of these addresses since a moment (queued or sent). */
export async function countMailsTo (db: DbOrTx, kind: string, recipients: string[], since: string): Promise<number> {
  if (recipients.length === 0) return 0
  const row = await db.selectFrom('outbox').select(eb => eb.fn.countAll().as('n'))
    .where('kind', '=', kind).where('recipient', 'in', recipients).where('created_at', '>', since)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
