import type { Db } from '../db/connection.ts'
import type { OutboxRow } from '../db/schema.ts'
import { type Actor, actingStaffId } from '../domain/actor.ts'
import { hasRole } from '../domain/staff.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { findOutboxMessage, requeueMessage } from '../repositories/outbox-repository.ts'

/**
 * Sent e-mails are for leaders. An invitation e-mail carries a link that sets a staff
 * account's password, so only admins (who send them) may open one.
 */
function mayReadMessage (actor: Actor, row: Pick<OutboxRow, 'kind'>): boolean {
  if (actor.kind !== 'staff' || !hasRole(actor.role, 'leader')) return false
  return row.kind !== 'staff_invitation' || actor.role === 'admin'
}

/** One sent e-mail, if it exists and this staff user may read it. */
export async function findReadableMessage (db: Db, actor: Actor, id: number): Promise<OutboxRow | undefined> {
  const row = await findOutboxMessage(db, id)
  return row && mayReadMessage(actor, row) ? row : undefined
}

/**
 * Staff resend: a failed message, or one whose fate is unknown, goes back in the queue,
 * with a line in the audit log. Any other message is left as it is. False if there is no
 * such message the reader may read.
 */
export async function resendMessage (db: Db, actor: Actor, id: number, now: Date = new Date()): Promise<boolean> {
  return await db.transaction().execute(async tx => {
    const row = await findOutboxMessage(tx, id)
    if (!row || !mayReadMessage(actor, row)) return false
    if (await requeueMessage(tx, row.id, now.toISOString())) {
      await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: actingStaffId(actor), action: row.channel === 'sms' ? 'sms_resent' : 'email_resent', subject_type: 'outbox', subject_id: row.id, detail: `was=${row.status}` })
    }
    return true
  })
}
