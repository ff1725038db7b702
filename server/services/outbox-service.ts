import type { Db } from '../db/connection.ts'
import type { OutboxRow } from '../db/schema.ts'
import { type Actor, actingStaffId } from '../domain/actor.ts'
import { hasRole } from '../domain/staff.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { findOutboxMessage, requeueMessage } from '../repositories/outbox-repository.ts'
import { findBlockedNumbers } from '../repositories/sms-repository.ts'

/**
 * Sent messages (e-mails and texts) are for leaders. An invitation e-mail carries a link
 * that sets a staff account's password, so only admins (who send them) may open one.
 */
function mayReadMessage (actor: Actor, row: Pick<OutboxRow, 'kind'>): boolean {
  if (actor.kind !== 'staff' || !hasRole(actor.role, 'leader')) return false
  return row.kind !== 'staff_invitation' || actor.role === 'admin'
}

/** One sent message, if it exists and this staff user may read it. */
export async function findReadableMessage (db: Db, actor: Actor, id: number): Promise<OutboxRow | undefined> {
  const row = await findOutboxMessage(db, id)
  return row && mayReadMessage(actor, row) ? row : undefined
}

/**
 * What a resend did: 'queued' (back in the queue), 'unchanged' (it was neither failed nor
 * unknown), 'blocked' (a text to a number that has since said STOP or was marked as a
 * landline: it is not sent again).
 */
export type ResendOutcome = 'queued' | 'unchanged' | 'blocked'

/**
 * Staff resend: a failed message, or one whose fate is unknown, goes back in the queue,
 * with a line in the audit log. E-mails and texts alike; a text only while its number
 * takes texts. Any other message is left as it is. Undefined if there is no such message
 * the reader may read.
 */
export async function resendMessage (db: Db, actor: Actor, id: number, now: Date = new Date()): Promise<ResendOutcome | undefined> {
  return await db.transaction().execute(async tx => {
    const row = await findOutboxMessage(tx, id)
    if (!row || !mayReadMessage(actor, row)) return undefined
    if (row.channel === 'sms' && (await findBlockedNumbers(tx, [row.recipient])).size > 0) return 'blocked'
    if (!await requeueMessage(tx, row.id, now.toISOString())) return 'unchanged'
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: actingStaffId(actor), action: row.channel === 'sms' ? 'sms_resent' : 'email_resent', subject_type: 'outbox', subject_id: row.id, detail: `was=${row.status}` })
    return 'queued'
  })
}
