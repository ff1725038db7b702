import { createHash } from 'node:crypto'

/**
 * The SQL of the prepared queries (db/prepared.ts) on PostgreSQL, each with a statement
 * name. A pool connection sends such a query as a named statement, which PostgreSQL
 * parses and plans once per connection instead of on every run.
 */
const names = new Map<string, string>()

export function nameStatement (sql: string): void {
  if (!names.has(sql)) names.set(sql, `dk_${createHash('sha256').update(sql).digest('base64url').slice(0, 20)}`)
}

export function statementName (sql: string): string | undefined {
  return names.get(sql)
}
