import SQLite from 'better-sqlite3'
import { Kysely, SqliteDialect, sql } from 'kysely'
import { copenhagenDate } from '../domain/time.ts'
import { buildReport } from '../services/report-service.ts'
import type { Db } from '../db/connection.ts'
import { FolderMigrationProvider, migrateToLatest } from '../db/migrate.ts'
import type { Database } from '../db/schema.ts'

/**
 * Moving house: copies an installation's SQLite file into an empty PostgreSQL database,
 * table by table in the order their references need, keeping every id; then checks that
 * both hold the same number of rows in every table and give the same report.
 * The source file is opened read-only and never changed.
 */

export class CopyError extends Error {
  override name = 'CopyError'
}

export interface TableCount { table: string, source: number, target: number }

export interface CopyResult {
  tables: TableCount[]
  /** The report period compared (every meeting), or null when there are no meetings. */
  period: { from: string, to: string } | null
  reportsMatch: boolean
  /** What differs, in words; empty when all matches. */
  differences: string[]
}

/** The source, read-only: no WAL switch, no migration, no write of any kind. */
export function openSqliteReadOnly (file: string): { raw: SQLite.Database, db: Db } {
  let raw: SQLite.Database
  try {
    raw = new SQLite(file, { readonly: true, fileMustExist: true })
  } catch (error) {
    throw new CopyError(`Cannot open ${file}: ${(error as Error).message}`)
  }
  return { raw, db: new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) }) }
}

/** Tables in an order where each comes after the tables it refers to. */
export function tablesInReferenceOrder (raw: SQLite.Database): string[] {
  const tables = (raw.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%' order by name").all() as Array<{ name: string }>).map(r => r.name)
  const refs = new Map(tables.map(t => [t, (raw.prepare('select "table" as ref from pragma_foreign_key_list(?)').all(t) as Array<{ ref: string }>).map(r => r.ref).filter(r => r !== t)]))
  const ordered: string[] = []
  const visiting = new Set<string>()
  const visit = (t: string) => {
    if (ordered.includes(t)) return
    if (visiting.has(t)) throw new CopyError(`Tables refer to each other in a circle through ${t}.`)
    visiting.add(t)
    for (const r of refs.get(t) ?? []) if (tables.includes(r)) visit(r)
    visiting.delete(t)
    ordered.push(t)
  }
  for (const t of tables) visit(t)
  return ordered
}

async function checkSourceIsCurrent (raw: SQLite.Database): Promise<void> {
  const expected = Object.keys(await new FolderMigrationProvider().getMigrations()).sort()
  let applied: string[] = []
  try {
    applied = (raw.prepare('select name from kysely_migration order by name').all() as Array<{ name: string }>).map(r => r.name)
  } catch {
    throw new CopyError('The source is not a digikurser database (it has no migration table).')
  }
  const missing = expected.filter(m => !applied.includes(m))
  const unknown = applied.filter(m => !expected.includes(m))
  if (unknown.length > 0) throw new CopyError(`The source was made by a newer digikurser (migration ${unknown[0]}). Copy with that version.`)
  if (missing.length > 0) throw new CopyError(`The source is not up to date (missing migration ${missing[0]}). Start the old server once on it, or run npm run db:migrate with DATABASE_FILE set to it, then copy again.`)
}

async function countRows (db: Kysely<any>, table: string): Promise<number> {
  const row = await db.selectFrom(table).select(eb => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Every meeting's Copenhagen date, first to last: the report that covers everything. */
async function wholePeriod (db: Db): Promise<{ from: string, to: string } | null> {
  const row = await db.selectFrom('meetings').select(eb => [eb.fn.min('starts_at').as('first'), eb.fn.max('starts_at').as('last')]).executeTakeFirst()
  if (!row?.first || !row.last) return null
  return { from: copenhagenDate(row.first), to: copenhagenDate(row.last) }
}

/** Row counts per table and the whole-period report, compared between the two. */
export async function verifyCopy (source: Db, target: Db, tables: string[], now: Date = new Date()): Promise<CopyResult> {
  const counts: TableCount[] = []
  for (const table of tables) counts.push({ table, source: await countRows(source, table), target: await countRows(target, table) })
  const differences = counts.filter(c => c.source !== c.target).map(c => `${c.table}: ${c.source} rows in the source, ${c.target} in PostgreSQL`)
  const period = await wholePeriod(source)
  let reportsMatch = true
  if (period) {
    const strip = (r: Awaited<ReturnType<typeof buildReport>>) => JSON.stringify({ ...r, generatedAt: null })
    const [a, b] = [await buildReport(source, period, now), await buildReport(target, period, now)]
    reportsMatch = strip(a) === strip(b)
    if (!reportsMatch) {
      for (const key of Object.keys(a) as Array<keyof typeof a>) {
        if (key !== 'generatedAt' && JSON.stringify(a[key]) !== JSON.stringify(b[key])) differences.push(`report ${period.from} to ${period.to}: ${key} differs`)
      }
    }
  }
  return { tables: counts, period, reportsMatch, differences }
}

/**
 * Copies into `target`, which must be empty (its schema is made here by the migrations).
 * The rows go in one transaction, and the source is read in one read transaction (one
 * snapshot). A copy that fails removes the tables it made, so PostgreSQL is as empty as
 * it was and the copy can simply be run again once the cause is fixed.
 */
export async function copySqliteToPostgres (raw: SQLite.Database, target: Db, onTable: (table: string, rows: number) => void = () => {}): Promise<string[]> {
  await checkSourceIsCurrent(raw)
  const existing = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = current_schema() order by table_name limit 1`.execute(target)
  if (existing.rows.length > 0) throw new CopyError(`PostgreSQL is not empty: it has a table ${existing.rows[0]!.table_name}. Copy into a new, empty database.`)
  let copied: string[]
  try {
    await migrateToLatest(target)
    raw.prepare('BEGIN').run()
    try {
      copied = await copyRows(raw, target, onTable)
    } finally {
      raw.prepare('COMMIT').run()
    }
  } catch (error) {
    // The database was empty before: everything in it now is ours to remove.
    const made = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(target)
    for (const { table_name: t } of made.rows) await sql`drop table if exists ${sql.table(t)} cascade`.execute(target)
    // And the functions the triggers ran (migrations/20261203100000_report_tallies.ts).
    const functions = await sql<{ name: string }>`select p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = current_schema()`.execute(target)
    for (const { name } of functions.rows) await sql`drop function if exists ${sql.id(name)} cascade`.execute(target)
    throw error
  }
  // The copy is one large write that PostgreSQL has no statistics for yet, and no
  // visibility map: until autovacuum came round, the first reports were planned blind and
  // their index-only scans read the tables (a year report 0.7 s, 0.56 s after this).
  await sql`vacuum (analyze)`.execute(target)
  return copied
}

/** Why a value cannot go into a PostgreSQL column, or null when it can. */
function unfit (value: unknown, column: { type: string, maxLength: number | null, nullable: boolean }): string | null {
  if (value === null || value === undefined) return column.nullable ? null : 'it is empty, and the column needs a value'
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return 'it contains a NUL character'
    if (column.maxLength !== null && [...value].length > column.maxLength) return `it is ${[...value].length} characters, and the column takes ${column.maxLength}`
    if (/int/.test(column.type) && !/^-?\d+$/.test(value)) return 'it is text, and the column takes whole numbers'
  }
  if (typeof value === 'number' && /int/.test(column.type) && !Number.isInteger(value)) return `it is ${value}, and the column takes whole numbers`
  if (value instanceof Buffer) return 'it is binary data'
  return null
}

async function copyRows (raw: SQLite.Database, target: Db, onTable: (table: string, rows: number) => void): Promise<string[]> {
  const tables = tablesInReferenceOrder(raw)
  const any = target as unknown as Kysely<any>
  const targetColumns = new Map<string, Map<string, { type: string, maxLength: number | null, nullable: boolean }>>()
  const columnRows = await sql<{ table_name: string, column_name: string, data_type: string, character_maximum_length: number | null, is_nullable: string }>`
    select table_name, column_name, data_type, character_maximum_length, is_nullable from information_schema.columns where table_schema = current_schema()`.execute(target)
  for (const r of columnRows.rows) {
    const columns = targetColumns.get(r.table_name) ?? new Map()
    columns.set(r.column_name, { type: r.data_type, maxLength: r.character_maximum_length, nullable: r.is_nullable === 'YES' })
    targetColumns.set(r.table_name, columns)
  }

  await any.transaction().execute(async tx => {
    // What the migrations put in (the default milestone rule) gives way to the source's own.
    for (const table of [...tables].reverse()) await tx.deleteFrom(table).execute()
    for (const table of tables) {
      const columns = (raw.prepare('select name from pragma_table_info(?)').all(table) as Array<{ name: string }>).map(c => c.name)
      const into = targetColumns.get(table) ?? new Map()
      const missing = columns.filter(c => !into.has(c))
      if (missing.length > 0) throw new CopyError(`PostgreSQL's ${table} has no column ${missing[0]}.`)
      // PostgreSQL takes at most 65,535 parameters in one statement.
      const batch = Math.max(1, Math.min(1000, Math.floor(30_000 / columns.length)))
      const page = raw.prepare(`select rowid as __rowid, * from "${table}" where rowid > ? order by rowid limit ${batch}`)
      let last = 0
      let copied = 0
      for (;;) {
        const rows = page.all(last) as Array<Record<string, unknown>>
        if (rows.length === 0) break
        last = Number(rows[rows.length - 1]!.__rowid)
        for (const r of rows) {
          for (const c of columns) {
            const why = unfit(r[c], into.get(c)!)
            if (why) throw new CopyError(`Cannot copy ${table} row ${String(r.id ?? r.__rowid)}: the value in ${c} does not fit PostgreSQL, because ${why}. Correct it in the SQLite file (or ask for help), then copy again. Nothing was left in PostgreSQL.`)
          }
        }
        const values = rows.map(r => Object.fromEntries(columns.map(c => [c, r[c]])))
        try {
          await tx.insertInto(table).values(values).execute()
        } catch (error) {
          throw new CopyError(`Copying ${table} (rows after ${String(rows[0]!.__rowid)}) failed: ${(error as Error).message}. Nothing was left in PostgreSQL.`, { cause: error })
        }
        copied += rows.length
      }
      onTable(table, copied)
    }
    // New rows must get ids after the copied ones.
    const identities = await sql<{ table_name: string, column_name: string }>`select table_name, column_name from information_schema.columns where table_schema = current_schema() and is_identity = 'YES'`.execute(tx)
    for (const { table_name: t, column_name: c } of identities.rows) {
      if (!tables.includes(t)) continue
      await sql`select setval(pg_get_serial_sequence(${`"${t}"`}, ${c}), coalesce((select max(${sql.ref(c)}) from ${sql.table(t)}), 0) + 1, false)`.execute(tx)
    }
  })
  return tables
}
