import { spawn, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { createPostgresDb } from '../../server/db/connection.ts'
import { migrateToLatest } from '../../server/db/migrate.ts'
import { syncCatalogue } from '../../server/services/catalogue-service.ts'
import { freePort } from './smtp.ts'

/**
 * PostgreSQL for the tests and the benchmark: a throwaway cluster started from the
 * server binaries on this machine, or the server named by TEST_DATABASE_URL. Tests get a
 * fresh database each, cloned from a migrated template, so a test costs one CREATE DATABASE.
 */

export const pgBin = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'

export interface PostgresServer {
  /** A URL to a database on the server with the right to create databases. */
  adminUrl: string
  stop: () => Promise<void>
  /** The same, synchronously, for a process's exit handler. */
  stopNow: () => void
}

export function postgresAvailable (): { ok: true, how: string } | { ok: false, why: string } {
  if (process.env.TEST_DATABASE_URL) return { ok: true, how: 'TEST_DATABASE_URL' }
  if (existsSync(join(pgBin, 'initdb')) && existsSync(join(pgBin, 'pg_ctl'))) return { ok: true, how: `a throwaway cluster from ${pgBin}` }
  return { ok: false, why: `neither TEST_DATABASE_URL is set nor are the PostgreSQL server binaries in ${pgBin} (set PG_BIN to their folder)` }
}

/** initdb refuses to run as root; as root the cluster belongs to the postgres user. */
function clusterOwner (): { uid: number, gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find(l => l.startsWith('postgres:'))
  if (!line) throw new Error('running as root, but there is no postgres user to own the test cluster')
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

async function run (command: string, args: string[], owner: { uid: number, gid: number } | undefined): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(join(pgBin, command), args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmpdir(), ...(owner ?? {}) })
    let output = ''
    child.stdout.on('data', (c: Buffer) => { output += c.toString() })
    child.stderr.on('data', (c: Buffer) => { output += c.toString() })
    child.on('error', reject)
    child.on('exit', code => code === 0 ? resolve() : reject(new Error(`${command} failed (${code}):\n${output}`)))
  })
}

export async function startThrowawayCluster (): Promise<PostgresServer> {
  const owner = clusterOwner()
  const dir = mkdtempSync(join(tmpdir(), 'digikurser-pg-'))
  if (owner) chownSync(dir, owner.uid, owner.gid)
  const data = join(dir, 'data')
  await run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'], owner)
  const port = await freePort()
  const options = [
    `-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1',
    // Throwaway data: no need to survive a power cut.
    '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off',
    '-c max_connections=400', '-c shared_buffers=64MB'
  ].join(' ')
  await run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start'], owner)
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'], owner).catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    },
    stopNow: () => {
      spawnSync(join(pgBin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore', cwd: tmpdir(), ...(owner ?? {}) })
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

export function externalServer (url: string): PostgresServer {
  return { adminUrl: url, stop: async () => {}, stopNow: () => {} }
}

export function databaseUrl (adminUrl: string, name: string): string {
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

export async function withAdmin<T> (adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** A migrated database with the course catalogue, to clone for each test. */
export async function createTemplate (adminUrl: string, name: string, coursesDir: string): Promise<void> {
  await withAdmin(adminUrl, async c => { await c.query(`CREATE DATABASE "${name}"`) })
  const db = createPostgresDb(databaseUrl(adminUrl, name), 2)
  try {
    await migrateToLatest(db)
    await syncCatalogue(db, coursesDir)
  } finally {
    await db.destroy()
  }
}

let counter = 0
/** A new, empty-but-migrated database cloned from the template; its URL. */
export async function cloneTemplate (adminUrl: string, template: string, prefix: string): Promise<string> {
  counter++
  const name = `${prefix}_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 8)}`
  // CREATE DATABASE fails while another session is connected to the template, which a
  // parallel worker's clone briefly is; try again.
  for (let attempt = 0; ; attempt++) {
    try {
      await withAdmin(adminUrl, async c => {
        // FILE_COPY (PostgreSQL 15+) is much faster for a small template than the default.
        const { rows } = await c.query<{ v: string }>("select current_setting('server_version_num') as v")
        const strategy = Number(rows[0]?.v) >= 150000 ? ' STRATEGY FILE_COPY' : ''
        await c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"${strategy}`)
      })
      return databaseUrl(adminUrl, name)
    } catch (error) {
      if (attempt >= 20 || !/being accessed by other users/.test(String(error))) throw error
      await new Promise(resolve => setTimeout(resolve, 50 + Math.random() * 100))
    }
  }
}

export async function dropDatabases (adminUrl: string, prefix: string): Promise<void> {
  await withAdmin(adminUrl, async c => {
    const { rows } = await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [`${prefix}_`])
    for (const { datname } of rows) await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`)
  })
}
