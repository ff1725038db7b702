import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import { type DatabaseConnection, type Driver, Kysely, PostgresAdapter, PostgresDialect, SqliteDialect, SqliteDriver, type SqliteDatabase, type SqliteDialectConfig, type Transaction, sql } from 'kysely'
import type pg from 'pg'
import type { Database } from './schema.ts'
import { type BackgroundCheckpoints, DEFAULT_CHECKPOINT_PAGES, FALLBACK_CHECKPOINT_PAGES, startBackgroundCheckpoints } from './checkpoints.ts'
import { statementName } from './statement-names.ts'

export type Db = Kysely<Database>
/**
 * An open transaction. A function that is only correct inside one (it takes a lock, claims
 * a key, or writes what must commit with the change: an e-mail in the outbox) takes `Tx`,
 * so calling it with the plain db is a compile error (as in Kysely's example app).
 */
export type Tx = Transaction<Database>
/** Repositories take either the db or an open transaction. */
export type DbOrTx = Kysely<Database> | Transaction<Database>

/** Where the data lives: the embedded SQLite file by default, PostgreSQL when DATABASE_URL is set. */
export interface DatabaseSettings {
  databaseFile: string
  databaseUrl: string | null
  databasePoolSize?: number
}

export function isPostgresUrl (location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location)
}

/** A database by where it is: a postgres:// URL, or a SQLite file (or ':memory:'). */
export function openDatabaseAt (location: string, poolSize?: number): Db {
  return isPostgresUrl(location) ? createPostgresDb(location, poolSize) : createSqliteDb(location)
}

export interface SqliteOptions {
  /** The server's own: checkpoints in a worker thread (db/checkpoints.ts), not in the commits. */
  backgroundCheckpoints?: boolean
}

export function createDb (settings: DatabaseSettings, sqliteOptions: SqliteOptions = {}): Db {
  return settings.databaseUrl !== null
    ? createPostgresDb(settings.databaseUrl, settings.databasePoolSize)
    : createSqliteDb(settings.databaseFile, sqliteOptions)
}

/** The handle of a SQLite Db's checkpoint worker, for tests. */
export const checkpointsOf = new WeakMap<Db, BackgroundCheckpoints>()

export function createSqliteDb (file: string, opts: SqliteOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const sqlite = new SQLite(file)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('synchronous = NORMAL')
  let checkpoints: BackgroundCheckpoints | undefined
  if (opts.backgroundCheckpoints && file !== ':memory:') {
    sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`)
    checkpoints = startBackgroundCheckpoints(file, () => {
      if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${DEFAULT_CHECKPOINT_PAGES}`)
    })
  }
  const database = keepingStatements(sqlite, () => {
    if (!checkpoints) return
    checkpoints.stop()
    // The worker's connection may outlive this one for a moment: the log is emptied into
    // the file here, so a copy of the file alone is whole once the server has stopped.
    try { sqlite.pragma('wal_checkpoint(TRUNCATE)') } catch {}
  })
  const db = new Kysely<Database>({ dialect: new TurnTakingSqliteDialect({ database }) })
  if (checkpoints) checkpointsOf.set(db, checkpoints)
  return db
}

/**
 * Kysely's SQLite driver hands its one connection from each transaction straight to the
 * next waiting one. The writes are synchronous, so under a rush whole queues of bookings
 * ran in one turn of the event loop, and the loop took in one new connection per turn
 * (libuv since 1.46, Node 20): a citizen whose connection came in with the first 200
 * waited until nearly every later booking was done (p99 5 to 13 s, p50 under 1 s). Here
 * a transaction that committed lets the event loop turn once before the next one starts,
 * so new connections and requests are taken in between, in order.
 */
class TurnTakingSqliteDriver extends SqliteDriver {
  override async commitTransaction (connection: DatabaseConnection): Promise<void> {
    await super.commitTransaction(connection)
    await new Promise(resolve => setImmediate(resolve))
  }
}

class TurnTakingSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig
  constructor (config: SqliteDialectConfig) {
    super(config)
    this.#config = config
  }

  override createDriver (): Driver {
    return new TurnTakingSqliteDriver(this.#config)
  }
}

const KEPT_STATEMENTS_MAX = 1000

/**
 * Kysely prepares every query's SQL again before it runs it; under load that was the
 * largest single cost of a class page. Prepared statements are kept by their SQL text
 * (the values are bound at each run), up to a thousand, and a statement still busy in
 * a streamed read is never handed out twice.
 */
function keepingStatements (sqlite: SQLite.Database, onClose: () => void): SqliteDatabase {
  const kept = new Map<string, SQLite.Statement>()
  return {
    close: () => { kept.clear(); onClose(); sqlite.close() },
    prepare: (sql: string) => {
      const known = kept.get(sql)
      if (known && !known.busy) return known
      const statement = sqlite.prepare(sql)
      if (!known) {
        if (kept.size >= KEPT_STATEMENTS_MAX) kept.clear()
        kept.set(sql, statement)
      }
      return statement
    }
  }
}

const INT8 = 20
const NUMERIC = 1700

/**
 * Counts and sums come back from PostgreSQL as int8 or numeric, which `pg` hands over as
 * strings. Our numbers (counts of people, hours) are far below 2^53, so they are read as
 * JavaScript numbers, the same as SQLite gives.
 */
function typeParser (types: typeof pg.types) {
  return (oid: number, format?: string): (value: string) => unknown => {
    if (oid === INT8 || oid === NUMERIC) return Number
    return types.getTypeParser(oid, format as 'text')
  }
}

/**
 * A PostgreSQL database. `pg` (and Node's TLS with it) is loaded on the first query, so
 * a server on SQLite never loads it.
 */
export function createPostgresDb (url: string, poolSize = 10, opts: { statementTimeoutMs?: number } = {}): Db {
  const pool = async (): Promise<pg.Pool> => {
    const { default: driver } = await import('pg')
    const made = new driver.Pool({
      connectionString: url,
      max: poolSize,
      types: { getTypeParser: typeParser(driver.types) as typeof driver.types.getTypeParser },
      // An unreachable database answers in seconds (a 503 from /healthz), not minutes.
      connectionTimeoutMillis: 5_000,
      // A stuck query must not hold a booking's row locks for ever.
      statement_timeout: opts.statementTimeoutMs ?? 30_000,
      idle_in_transaction_session_timeout: 60_000,
      application_name: 'digikurser'
    })
    // An idle client that loses its connection (a database restart) emits here; the pool
    // drops it and makes a new one on the next query. Without a listener Node would crash.
    made.on('error', () => {})
    // The prepared queries go as named statements: parsed and planned once per connection.
    made.on('connect', client => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown
      client.query = ((text: unknown, values?: unknown, ...rest: unknown[]) => {
        const name = typeof text === 'string' ? statementName(text) : undefined
        return name === undefined ? query(text, values, ...rest) : query({ name, text, values })
      }) as typeof client.query
    })
    pools.set(db, { pool: made, max: poolSize })
    return made
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return db
}

/** Each PostgreSQL database's pool, once made: whether a connection is free (readSnapshot). */
const pools = new WeakMap<Db, { pool: pg.Pool, max: number }>()

export function isPostgres (db: DbOrTx): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

/** Runs reads beside the snapshot's own transaction, in the same snapshot (readSnapshot). */
export type Beside = <R>(read: (tx: Tx) => Promise<R>) => Promise<R>

/**
 * Runs several reads that must agree with each other (a report whose parts add up to its
 * totals) in one read-only transaction that sees one snapshot of the data: REPEATABLE READ
 * on PostgreSQL, where the default READ COMMITTED gives each query its own. On SQLite every
 * transaction reads one snapshot already.
 *
 * `beside` runs reads at the same time as the transaction's own, so a report's passes use
 * two of the database's cores: on PostgreSQL on a second connection that imports the
 * snapshot (pg_export_snapshot, SET TRANSACTION SNAPSHOT), when the pool has one free at
 * once. Otherwise, and on SQLite, they run on the transaction itself: a report never
 * waits for a connection a booking needs.
 */
export async function readSnapshot<T> (db: Db, read: (tx: Tx, beside: Beside) => Promise<T>): Promise<T> {
  if (!isPostgres(db)) return await db.transaction().execute(async tx => await read(tx, async reads => await reads(tx)))
  const snapshotTransaction = () => db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only')
  return await snapshotTransaction().execute(async tx => {
    let exported: Promise<string> | undefined
    const beside: Beside = async reads => {
      const known = pools.get(db)
      if (!known || (known.pool.idleCount === 0 && known.pool.totalCount >= known.max)) return await reads(tx)
      exported ??= sql<{ id: string }>`select pg_export_snapshot() as id`.execute(tx).then(r => (r.rows[0] as { id: string }).id)
      const snapshot = await exported
      return await snapshotTransaction().execute(async other => {
        await sql`set transaction snapshot ${sql.lit(snapshot)}`.execute(other)
        return await reads(other)
      })
    }
    return await read(tx, beside)
  })
}
