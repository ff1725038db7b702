import type { Compilable, CompiledQuery, Kysely, RootOperationNode } from 'kysely'
import { type DbOrTx, isPostgres } from './connection.ts'
import type { Database } from './schema.ts'
import { nameStatement } from './statement-names.ts'

/** Where a value goes while a query is built once: a string no caller sends. */
const MARK = '\u0000prepared:'

/**
 * A `*` in what a query returns (`select *`, `"bookings".*`, `returning *`; not `count(*)`).
 * On PostgreSQL a prepared query is a named statement, which fails for good once a
 * migration changes what its `*` stands for: see db/columns.ts.
 */
const STAR = /(?:\bselect\s+(?:distinct\s+)?|\breturning\s+|,\s*|\.)\*(?=\s|,|$)/i

interface Compiled { sql: string, query: RootOperationNode, slots: Array<{ name: string } | { value: unknown }> }

/**
 * A query on the hot path built and compiled by Kysely once per dialect, then run with
 * new values: the booking rush spent more time building and compiling the same fifteen
 * queries than SQLite spent running them. The builder gets a stand-in for each named
 * value; every stand-in must end up a parameter of the SQL (compiling throws if one was
 * dropped or written into the text), and the SQL is the same as building it each time.
 * It names the columns it returns rather than `*` (compiling throws otherwise): on
 * PostgreSQL it goes as a named statement, parsed and planned once per connection.
 * Values that change the SQL's shape (a list's length, an optional condition) need one
 * prepared query per shape.
 */
export class Prepared<P extends Record<string, unknown>, R> {
  readonly #build: (db: Kysely<Database>, values: P) => Compilable<R>
  readonly #compiled = new Map<'sqlite' | 'postgres', Compiled>()

  constructor (build: (db: Kysely<Database>, values: P) => Compilable<R>) {
    this.#build = build
  }

  /** Every row. */
  async all (db: DbOrTx, values: P): Promise<R[]> {
    return (await db.executeQuery<R>(this.#bind(db, values))).rows
  }

  /** The first row, if any. */
  async first (db: DbOrTx, values: P): Promise<R | undefined> {
    return (await db.executeQuery<R>(this.#bind(db, values))).rows[0]
  }

  /** The rows an insert, update or delete changed. */
  async run (db: DbOrTx, values: P): Promise<number> {
    return Number((await db.executeQuery<R>(this.#bind(db, values))).numAffectedRows ?? 0)
  }

  #bind (db: DbOrTx, values: P): CompiledQuery<R> {
    const dialect = isPostgres(db) ? 'postgres' : 'sqlite'
    let compiled = this.#compiled.get(dialect)
    if (!compiled) {
      compiled = compile(db, this.#build)
      this.#compiled.set(dialect, compiled)
      if (dialect === 'postgres') nameStatement(compiled.sql)
    }
    const parameters = compiled.slots.map(slot => 'name' in slot ? values[slot.name] : slot.value)
    return { sql: compiled.sql, query: compiled.query, queryId: { queryId: '' }, parameters }
  }
}

function compile<P extends Record<string, unknown>, R> (db: DbOrTx, build: (db: Kysely<Database>, values: P) => Compilable<R>): Compiled {
  const asked = new Set<string>()
  const stand = new Proxy({}, {
    get: (_, name) => {
      if (typeof name !== 'string') return undefined
      asked.add(name)
      return `${MARK}${name}`
    }
  }) as P
  const { sql, query, parameters } = build(db, stand).compile()
  if (sql.includes(MARK)) throw new Error(`A prepared value was written into the SQL, not passed as a parameter: ${sql}`)
  if (STAR.test(sql)) throw new Error(`A prepared query names the columns it returns (db/columns.ts), not *: ${sql}`)
  const slots = parameters.map(value => typeof value === 'string' && value.startsWith(MARK) ? { name: value.slice(MARK.length) } : { value })
  const used = new Set(slots.flatMap(slot => 'name' in slot ? [slot.name] : []))
  for (const name of asked) if (!used.has(name)) throw new Error(`The prepared value ${name} is not a parameter of: ${sql}`)
  return { sql, query, slots }
}

/** A query prepared once per dialect (see Prepared). */
export function prepare<P extends Record<string, unknown>, R> (build: (db: Kysely<Database>, values: P) => Compilable<R>): Prepared<P, R> {
  return new Prepared(build)
}

/**
 * A query whose SQL follows how many values a list gives (an `in (…)`, the rows of an
 * insert): `make(count)` prepared once for each length.
 */
export function byCount<Q> (make: (count: number) => Q): (count: number) => Q {
  const kept = new Map<number, Q>()
  return count => {
    let query = kept.get(count)
    if (!query) kept.set(count, query = make(count))
    return query
  }
}

/**
 * A query whose SQL follows which columns a row gives (an insert): prepared once for each
 * set of columns. A column left undefined is left out, as Kysely leaves it out, so the
 * table's default applies.
 */
export function byColumns<T extends object, R> (build: (db: Kysely<Database>, row: T) => Compilable<R>): (row: T) => Prepared<Record<string, unknown>, R> {
  const kept = new Map<string, Prepared<Record<string, unknown>, R>>()
  return row => {
    const columns = Object.keys(row).filter(column => (row as Record<string, unknown>)[column] !== undefined)
    const key = columns.join(',')
    let query = kept.get(key)
    if (!query) {
      query = prepare((db, values: Record<string, unknown>) => build(db, Object.fromEntries(columns.map(column => [column, values[column]])) as T))
      kept.set(key, query)
    }
    return query
  }
}
