import type { Selectable } from 'kysely'
import type { DbOrTx } from '../db/connection.ts'
import type { ApiTokenTable } from '../db/schema.ts'

export type ApiTokenRow = Selectable<ApiTokenTable>

/** A token with whether the staff user who made it is still active (and their name, for the list). */
export type ApiTokenWithOwner = ApiTokenRow & { owner_active: boolean, owner_name: string | null }

export async function insertApiToken (db: DbOrTx, token: { name: string, token_hash: string, scopes: string, expires_at: string, created_by: number | null, created_at: string }): Promise<number> {
  const { id } = await db.insertInto('api_tokens').values(token).returning('id').executeTakeFirstOrThrow()
  return id
}

function withOwner (db: DbOrTx) {
  return db.selectFrom('api_tokens')
    .leftJoin('staff_users', 'staff_users.id', 'api_tokens.created_by')
    .selectAll('api_tokens')
    .select(['staff_users.active as owner_active_flag', 'staff_users.name as owner_name'])
}

const toOwned = <T extends { owner_active_flag: number | null }>({ owner_active_flag: flag, ...row }: T): Omit<T, 'owner_active_flag'> & { owner_active: boolean } =>
  ({ ...row, owner_active: flag === 1 })

export async function findApiTokenByHash (db: DbOrTx, hash: string): Promise<ApiTokenWithOwner | undefined> {
  const row = await withOwner(db).where('api_tokens.token_hash', '=', hash).executeTakeFirst()
  return row && toOwned(row)
}

export async function listApiTokens (db: DbOrTx): Promise<ApiTokenWithOwner[]> {
  const rows = await withOwner(db).orderBy('api_tokens.revoked_at', ob => ob.desc().nullsLast()).orderBy('api_tokens.id', 'desc').execute()
  return rows.map(toOwned)
}

export async function revokeApiToken (db: DbOrTx, id: number, at: string): Promise<boolean> {
  const result = await db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** Records a use; only when the stored time is older than `since`, so servers racing write once. */
export async function touchApiToken (db: DbOrTx, id: number, at: string, since: string): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at })
    .where('id', '=', id)
    .where(eb => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', since)]))
    .execute()
}
