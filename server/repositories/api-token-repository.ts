import type { Selectable } from 'kysely'
import type { DbOrTx } from '../db/connection.ts'
import type { ApiTokenTable } from '../db/schema.ts'

export type ApiTokenRow = Selectable<ApiTokenTable>

export async function insertApiToken (db: DbOrTx, token: { name: string, token_hash: string, created_by: number | null, created_at: string }): Promise<number> {
  const { id } = await db.insertInto('api_tokens').values(token).returning('id').executeTakeFirstOrThrow()
  return id
}

export async function findApiTokenByHash (db: DbOrTx, hash: string): Promise<ApiTokenRow | undefined> {
  return await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst()
}

export async function listApiTokens (db: DbOrTx): Promise<ApiTokenRow[]> {
  return await db.selectFrom('api_tokens').selectAll().orderBy('revoked_at', ob => ob.desc().nullsLast()).orderBy('id', 'desc').execute()
}

export async function revokeApiToken (db: DbOrTx, id: number, at: string): Promise<boolean> {
  const result = await db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export async function touchApiToken (db: DbOrTx, id: number, at: string): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute()
}
