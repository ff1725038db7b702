import { createHash, randomBytes } from 'node:crypto'
import type { Db } from '../db/connection.ts'
import { type Actor, actingStaffId } from '../domain/actor.ts'
import { type ApiScope, type ApiTokenInput, type ApiTokenState, LAST_USED_RESOLUTION_MS, apiTokenState, formatScopes, parseScopes, shouldTouch } from '../domain/api-token.ts'
import { insertAuditEntry } from '../repositories/audit-repository.ts'
import { findApiTokenByHash, insertApiToken, revokeApiToken, touchApiToken } from '../repositories/api-token-repository.ts'

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex')

/** Who calls the API: a live token, its scopes and the staff user it acts for. */
export interface ApiCaller { tokenId: number, scopes: ApiScope[], ownerId: number | null }

/** Makes a token; the plain value is returned once and never stored. */
export async function createApiToken (db: Db, actor: Actor, input: ApiTokenInput, now: Date = new Date()): Promise<{ id: number, token: string }> {
  const staffId = actingStaffId(actor)
  const token = `dk_${randomBytes(30).toString('base64url')}`
  return await db.transaction().execute(async tx => {
    const id = await insertApiToken(tx, { name: input.name, token_hash: sha256(token), scopes: formatScopes(input.scopes), expires_at: input.expiresAt, created_by: staffId, created_at: now.toISOString() })
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: 'api_token_created', subject_type: 'api_token', subject_id: id, detail: formatScopes(input.scopes) })
    return { id, token }
  })
}

export async function revokeToken (db: Db, actor: Actor, id: number, now: Date = new Date()): Promise<boolean> {
  const staffId = actingStaffId(actor)
  return await db.transaction().execute(async tx => {
    if (!await revokeApiToken(tx, id, now.toISOString())) return false
    await insertAuditEntry(tx, { at: now.toISOString(), staff_user_id: staffId, action: 'api_token_revoked', subject_type: 'api_token', subject_id: id, detail: null })
    return true
  })
}

export type ApiTokenCheck = { ok: true, caller: ApiCaller } | { ok: false, reason: 'missing' | Exclude<ApiTokenState, 'active'> }

/**
 * Checks an Authorization header: a known token, not revoked, not expired, made by a
 * staff user who is still active. Records the use at most once a minute per token.
 */
export async function verifyApiToken (db: Db, header: string | undefined, now: Date = new Date()): Promise<ApiTokenCheck> {
  const match = /^Bearer\s+(dk_[A-Za-z0-9_-]{20,80})$/.exec(header ?? '')
  if (!match?.[1]) return { ok: false, reason: 'missing' }
  const row = await findApiTokenByHash(db, sha256(match[1]))
  if (!row) return { ok: false, reason: 'missing' }
  const state = apiTokenState(row, now)
  if (state !== 'active') return { ok: false, reason: state }
  if (shouldTouch(row.last_used_at, now)) await touchApiToken(db, row.id, now.toISOString(), new Date(now.getTime() - LAST_USED_RESOLUTION_MS).toISOString())
  return { ok: true, caller: { tokenId: row.id, scopes: parseScopes(row.scopes), ownerId: row.created_by } }
}
