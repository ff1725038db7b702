import type { Db } from '../db/connection.ts'
import type { OutboxRow, StaffRole } from '../db/schema.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { findOutboxMessage, requeueMessage } from '../repositories/outbox-repository.ts'

/** Who looks at the sent e-mails. */
export interface MailReader { id: number, role: StaffRole }

/**
 * An invitation e-mail carries a link that sets a staff account's password, so only
 * admins (who send them) may open one; leaders may open the rest.
 */
export function mayReadMessage (reader: MailReader, row: Pick<OutboxRow, 'kind'>): boolean {
  return row.kind !== 'staff_invitation' || reader.role === 'admin'
}

/** One sent e-mail, if it exists and this staff user may read it. */
export async function findReadableMessage (db: Db, reader: MailReader, id: number): Promise<OutboxRow | undefined> {
  const row = await findOutboxMessage(db, id)
  return row && mayReadMessage(reader, row) ? row : undefined
}

/**
 * Staff resend: a failed message, or one whose fate is unknown, goes back in the queue,
 * with a line in the audit log. Any other message is left as it is. False if there is no
 * such message the reader may read.
 */
export async function resendMessage (db: Db, reader: MailReader, id: number, now: Date = new Date()): Promise<boolean> {
  return await db.transaction().execute(async tx => {
    const row = await findOutboxMessage(tx, id)
    if (!row || !mayReadMessage(reader, row)) return false
    if (await requeueMessage(tx, row.id, now.toISOString())) {
      await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: reader.id, action: 'email_resent', subject_type: 'outbox', subject_id: row.id, detail: `was=${row.status}` })
    }
    return true
  })
}
