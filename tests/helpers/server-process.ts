import { type ChildProcess, spawn } from 'node:child_process'
import { resolve } from 'node:path'
import type { Db } from '../../server/db/connection.ts'
import { createTestDb, databaseEnv, newDatabase } from './database.ts'
import { freePort } from './smtp.ts'

export const root = resolve(import.meta.dirname, '../..')

/**
 * A migrated database with the catalogue, for server processes to start on: the SQLite
 * file given, or a new PostgreSQL database when the suite runs on PostgreSQL. Returns
 * the environment the servers need to use it (DATABASE_FILE, or DATABASE_URL and a
 * shared SESSION_SECRET).
 */
export async function prepareDatabase (file: string, seed?: (db: Db) => Promise<void>): Promise<Record<string, string>> {
  const location = await newDatabase(file)
  const db = await createTestDb(location)
  if (seed) await seed(db)
  await db.destroy()
  return databaseEnv(location)
}

export interface ServerProcess {
  child: ChildProcess
  base: string
  output: () => string
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string | null>
}

/** Starts `server/main.ts` as its own process (one PID) and waits until it listens. */
export async function startServerProcess (env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout?.on('data', (c: Buffer) => { output += c.toString() })
  child.stderr?.on('data', (c: Buffer) => { output += c.toString() })
  const exited = new Promise<number | string | null>(resolve => child.on('exit', (code, signal) => resolve(code ?? signal)))
  const started = Date.now()
  while (!output.includes('digikurser is listening')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited before listening:\n${output}`)
    if (Date.now() - started > 30_000) throw new Error(`server did not start:\n${output}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return { child, base, output: () => output, exited }
}

/** Runs a CLI script to its end. */
export async function runScript (script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null, output: string }> {
  return await new Promise(resolve => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout?.on('data', (c: Buffer) => { output += c.toString() })
    child.stderr?.on('data', (c: Buffer) => { output += c.toString() })
    child.on('exit', code => resolve({ code, output }))
  })
}

/**
 * Books through the public form of a running server, as a browser would: opens the class
 * page for its cookie and CSRF token, then posts. The booking's token, or null.
 */
export async function bookOverHttp (base: string, classId: number, fields: Record<string, string>): Promise<string | null> {
  const page = await fetch(`${base}/hold/${classId}`)
  const cookie = page.headers.getSetCookie().map(c => c.split(';')[0]).join('; ')
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? ''
  const res = await fetch(`${base}/hold/${classId}/tilmeld`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, ...fields }).toString()
  })
  const token = /\/tilmelding\/([^?]+)/.exec(res.headers.get('location') ?? '')?.[1]
  return res.status === 303 && token ? token : null
}

/** Polls until `check` holds; throws after `timeoutMs`. */
export async function waitUntil (check: () => Promise<boolean>, timeoutMs = 20_000, everyMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!await check()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}
