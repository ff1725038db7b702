import { createHash, randomBytes } from 'node:crypto'
import type { Db } from '../db/connection.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { type ApiTokenRow, findApiTokenByHash, insertApiToken, revokeApiToken, touchApiToken } from '../repositories/api-token-repository.ts'

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex')

/** Makes a token; the plain value is returned once and never stored. */
export async function createApiToken (db: Db, name: string, staffId: number, now: Date = new Date()): Promise<{ id: number, token: string }> {
  const token = `dk_${randomBytes(30).toString('base64url')}`
  return await db.transaction().execute(async tx => {
    const id = await insertApiToken(tx, { name, token_hash: sha256(token), created_by: staffId, created_at: now.toISOString() })
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: 'api_token_created', subject_type: 'api_token', subject_id: id, detail: null })
    return { id, token }
  })
}

export async function revokeToken (db: Db, id: number, staffId: number, now: Date = new Date()): Promise<boolean> {
  return await db.transaction().execute(async tx => {
    if (!await revokeApiToken(tx, id, now.toISOString())) return false
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: 'api_token_revoked', subject_type: 'api_token', subject_id: id, detail: null })
    return true
  })
}

/** The live token for an Authorization header value, or undefined. */
export async function verifyApiToken (db: Db, header: string | undefined, now: Date = new Date()): Promise<ApiTokenRow | undefined> {
  const match = /^Bearer\s+(dk_[A-Za-z0-9_-]{20,80})$/.exec(header ?? '')
  if (!match?.[1]) return undefined
  const row = await findApiTokenByHash(db, sha256(match[1]))
  if (!row || row.revoked_at !== null) return undefined
  await touchApiToken(db, row.id, now.toISOString())
  return row
}
