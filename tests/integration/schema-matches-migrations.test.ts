import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Migrator, sql } from 'kysely'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { type Db, openDatabaseAt } from '../../server/db/connection.ts'
import { FolderMigrationProvider, migrateToLatest } from '../../server/db/migrate.ts'
import { syncCatalogue } from '../../server/services/catalogue-service.ts'
import { bookSeat } from '../../server/services/booking-service.ts'
import { CITIZEN } from '../../server/domain/actor.ts'
import { closeWhenTestEnds } from '../helpers/cleanup.ts'
import { coursesDir, newEmptyPostgresDatabase, onPostgres } from '../helpers/database.ts'
import { bookingInput, createClass } from '../helpers/factories.ts'

/** table → column → nullable */
type Shape = Record<string, Record<string, boolean>>

const schemaFile = resolve(import.meta.dirname, '../../server/db/schema.ts')

/**
 * The tables and columns the code believes in: the `Database` interface of schema.ts, read
 * with the TypeScript parser. A column is nullable when its select type (the type itself,
 * or the first argument of ColumnType or Generated) has `null` in it.
 */
function declaredShape (): Shape {
  const source = ts.createSourceFile(schemaFile, readFileSync(schemaFile, 'utf8'), ts.ScriptTarget.Latest, true)
  const interfaces = new Map<string, ts.InterfaceDeclaration>()
  source.forEachChild(node => { if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node) })
  const nameOf = (member: ts.TypeElement) => member.name !== undefined && (ts.isIdentifier(member.name) || ts.isStringLiteral(member.name)) ? member.name.text : member.getText()
  const selectType = (type: ts.TypeNode): ts.TypeNode =>
    ts.isTypeReferenceNode(type) && ['ColumnType', 'Generated'].includes(type.typeName.getText()) && type.typeArguments?.[0] !== undefined
      ? type.typeArguments[0]
      : type
  const hasNull = (type: ts.TypeNode) => ts.isUnionTypeNode(type) && type.types.some(t => ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword)
  const database = interfaces.get('Database')
  if (database === undefined) throw new Error('schema.ts has no Database interface')
  const shape: Shape = {}
  for (const table of database.members) {
    if (!ts.isPropertySignature(table) || table.type === undefined || !ts.isTypeReferenceNode(table.type)) throw new Error(`Database.${nameOf(table)} is not a table interface`)
    const declaration = interfaces.get(table.type.typeName.getText())
    if (declaration === undefined) throw new Error(`schema.ts has no interface ${table.type.getText()}`)
    if (declaration.heritageClauses !== undefined) throw new Error(`${declaration.name.text} extends another interface: list its columns here instead`)
    const columns: Record<string, boolean> = {}
    for (const column of declaration.members) {
      if (!ts.isPropertySignature(column) || column.type === undefined) throw new Error(`${declaration.name.text}.${nameOf(column)} is not a column`)
      if (column.questionToken !== undefined) throw new Error(`${declaration.name.text}.${nameOf(column)} uses ?: write T | null`)
      columns[nameOf(column)] = hasNull(selectType(column.type))
    }
    shape[nameOf(table)] = columns
  }
  return shape
}

/**
 * The tables the migrations make, as the database itself reports them. SQLite lets a
 * primary key column without NOT NULL hold null in principle, but ours are never null
 * (an integer one is the row id), so a primary key counts as not null.
 */
async function migratedShape (db: Db): Promise<Shape> {
  const shape: Shape = {}
  for (const table of await db.introspection.getTables()) {
    const primaryKey = new Set<string>()
    if (!onPostgres) {
      const info = await sql<{ name: string, pk: number }>`select name, pk from pragma_table_info(${table.name})`.execute(db)
      for (const column of info.rows) if (column.pk > 0) primaryKey.add(column.name)
    }
    shape[table.name] = Object.fromEntries(table.columns.map(c => [c.name, c.isNullable && !primaryKey.has(c.name)]))
  }
  return shape
}

/** Every way the two disagree, in words; none when they match. */
function differences (declared: Shape, migrated: Shape): string[] {
  const found: string[] = []
  const nullable = (n: boolean) => n ? 'may be null' : 'is not null'
  for (const table of new Set([...Object.keys(declared), ...Object.keys(migrated)])) {
    const inCode = declared[table]
    const inDb = migrated[table]
    if (inCode === undefined || inDb === undefined) {
      found.push(`table ${table} is only in ${inCode === undefined ? 'the database' : 'schema.ts'}`)
      continue
    }
    for (const column of new Set([...Object.keys(inCode), ...Object.keys(inDb)])) {
      if (!(column in inDb)) found.push(`${table}.${column} is only in schema.ts`)
      else if (!(column in inCode)) found.push(`${table}.${column} is only in the database`)
      else if (inCode[column] !== inDb[column]) found.push(`${table}.${column} ${nullable(inCode[column]!)} in schema.ts but ${nullable(inDb[column]!)} in the database`)
    }
  }
  return found
}

describe(`schema.ts and the migrated ${onPostgres ? 'PostgreSQL' : 'SQLite'} database`, () => {
  it('have the same tables, the same columns, and agree on which columns may be null', async () => {
    const db = openDatabaseAt(onPostgres ? await newEmptyPostgresDatabase() : ':memory:')
    closeWhenTestEnds(async () => { await db.destroy() })
    await migrateToLatest(db)
    const declared = declaredShape()
    expect(Object.keys(declared)).toContain('bookings')
    expect(differences(declared, await migratedShape(db))).toEqual([])
  })

  it('would notice a drift', () => {
    const declared = declaredShape()
    const drifted: Shape = structuredClone(declared)
    drifted.bookings!.status = true
    delete drifted.outbox
    drifted.courses!.extra = false
    expect(differences(declared, drifted).sort()).toEqual([
      'bookings.status is not null in schema.ts but may be null in the database',
      'courses.extra is only in the database',
      'table outbox is only in schema.ts'
    ])
  })
})

describe('the migration that makes bookings.checkin_code NOT NULL', () => {
  it('keeps every booking, its code and what refers to it, both ways', async () => {
    const db = openDatabaseAt(onPostgres ? await newEmptyPostgresDatabase() : ':memory:')
    closeWhenTestEnds(async () => { await db.destroy() })
    await migrateToLatest(db)
    await syncCatalogue(db, coursesDir)
    const classId = await createClass(db, { capacity: 1 })
    for (const name of ['Grethe Hansen', 'Poul Jensen']) await bookSeat(db, CITIZEN, classId, bookingInput({ name, phone: `+4512${name.length}34567` }), { source: 'phone' })
    const waiting = await db.selectFrom('bookings').select('id').where('status', '=', 'waitlisted').executeTakeFirstOrThrow()
    await db.insertInto('waitlist_calls').values({ booking_id: waiting.id, staff_user_id: null, at: new Date().toISOString(), outcome: 'no_answer' }).execute()
    const rows = async () => await db.selectFrom('bookings').select(['id', 'checkin_code', 'status', 'token']).orderBy('id').execute()
    const before = await rows()
    expect(before).toHaveLength(2)

    const migrations = Object.keys(await new FolderMigrationProvider().getMigrations()).sort()
    const ours = migrations.findIndex(m => m.endsWith('_checkin_code_not_null'))
    const migrator = new Migrator({ db, provider: new FolderMigrationProvider() })
    expect((await migrator.migrateTo(migrations[ours - 1] as string)).error).toBeUndefined()
    expect(await rows()).toEqual(before)
    await migrateToLatest(db)
    expect(await rows()).toEqual(before)
    expect(await db.selectFrom('waitlist_calls').select('booking_id').execute()).toEqual([{ booking_id: waiting.id }])
    // The column refuses null now, and the table still refuses a booking of no class.
    const copy = await db.selectFrom('bookings').selectAll().where('id', '=', waiting.id).executeTakeFirstOrThrow()
    const { id: _id, ...fields } = copy
    await expect(db.insertInto('bookings').values({ ...fields, token: 'x'.repeat(40), checkin_code: null as never }).execute()).rejects.toThrow(/null/i)
    await expect(db.insertInto('bookings').values({ ...fields, token: 'y'.repeat(40), checkin_code: 'ZZZZZZ', class_id: 999_999 }).execute()).rejects.toThrow(/foreign key/i)
  })
})
