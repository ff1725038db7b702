import type { DbOrTx } from '../db/connection.ts'
import type { AuditLogRow, NewAuditEntry } from '../db/schema.ts'

export async function insertAuditEntry (db: DbOrTx, entry: NewAuditEntry): Promise<void> {
  await db.insertInto('audit_log').values(entry).execute()
}

export async function listAuditEntries (db: DbOrTx, limit = 200): Promise<Array<AuditLogRow & { staff_name: string | null }>> {
  return await db.selectFrom('audit_log')
    .leftJoin('staff_users', 'staff_users.id', 'audit_log.staff_user_id')
    .selectAll('audit_log')
    .select('staff_users.name as staff_name')
    .orderBy('audit_log.id', 'desc').limit(limit).execute()
}
