import type { DbOrTx } from '../db/connection.ts'
import type { AuditLogRow, NewAuditEntry } from '../db/schema.ts'

export async function insertAuditEntry (db: DbOrTx, entry: NewAuditEntry): Promise<void> {
  await db.insertInto('audit_log').values(entry).execute()
}

export async function listAuditEntries (db: DbOrTx, limit = 200): Promise<AuditLogRow[]> {
  return await db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit).execute()
}
