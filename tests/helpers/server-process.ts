import { type ChildProcess, spawn } from 'node:child_process'
import { resolve } from 'node:path'
import type { Db } from '../../server/db/connection.ts'
import { closeWhenTestEnds } from './cleanup.ts'
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

/**
 * How long a process may take to say it is ready, or a CLI script to finish. `node
 * --import tsx` compiles the server's TypeScript as it loads: a few seconds on an idle
 * machine, many more when other work shares the cores.
 */
const processTimeoutMs = 90_000

export interface ScriptProcess {
  child: ChildProcess
  output: () => string
  /** Resolves with the exit code (or the signal's name) once the process has ended and its output is read. */
  exited: Promise<number | string | null>
  /** Resolves once the output contains `text`; rejects when the process ends first or `timeoutMs` passes. */
  waitFor: (text: string, timeoutMs?: number) => Promise<void>
}

/**
 * Starts a script as its own process with only the given environment (and PATH), as
 * `npm run` would: TypeScript through tsx, the compiled JavaScript in dist/ with plain
 * node, as `npm start` runs it. Started in a test, it is killed when the test ends if it
 * still runs; it never outlives the test run.
 */
export function startScript (script: string, args: string[], env: Record<string, string>, stdin?: string): ScriptProcess {
  const node = script.endsWith('.ts') ? ['--import', 'tsx'] : ['--enable-source-maps']
  const child = spawn(process.execPath, [...node, script, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']
  })
  if (stdin !== undefined) child.stdin?.end(stdin)
  let output = ''
  let ended = false
  const watchers = new Set<() => void>()
  const onData = (chunk: Buffer) => {
    output += chunk.toString()
    for (const watch of watchers) watch()
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  // 'close', not 'exit': by then everything the process wrote has been read.
  const exited = new Promise<number | string | null>(resolve => child.on('close', (code, signal) => {
    ended = true
    for (const watch of watchers) watch()
    resolve(code ?? signal)
  }))
  const kill = () => { child.kill('SIGKILL') }
  process.once('exit', kill)
  child.once('close', () => process.off('exit', kill))
  closeWhenTestEnds(async () => {
    if (!ended) kill()
    await exited
  })

  const waitFor = async (text: string, timeoutMs = processTimeoutMs) => {
    await new Promise<void>((resolve, reject) => {
      const watch = () => {
        if (output.includes(text)) finish()
        else if (ended) finish(new Error(`${script} ended before it wrote "${text}":\n${output}`))
      }
      const timer = setTimeout(() => finish(new Error(`${script} did not write "${text}" within ${timeoutMs / 1000} s:\n${output}`)), timeoutMs)
      const finish = (error?: Error) => {
        watchers.delete(watch)
        clearTimeout(timer)
        if (error) reject(error)
        else resolve()
      }
      watchers.add(watch)
      watch()
    })
  }
  return { child, output: () => output, exited, waitFor }
}

export interface ServerProcess extends ScriptProcess {
  base: string
}

/** Starts `server/main.ts` (or the compiled `dist/server/main.js`) as its own process (one PID) and waits until it says it listens. */
export async function startServerProcess (env: Record<string, string>, script = 'server/main.ts'): Promise<ServerProcess> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const server = startScript(script, [], { PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, LOG_LEVEL: 'info', ...env })
  try {
    await server.waitFor('digikurser is listening')
  } catch (error) {
    server.child.kill('SIGKILL')
    throw error
  }
  return { ...server, base }
}

/** Runs a CLI script to its end (killed, and an error, after `timeoutMs`). */
export async function runScript (script: string, args: string[], env: Record<string, string>, opts: { stdin?: string, timeoutMs?: number } = {}): Promise<{ code: number | null, output: string }> {
  const run = startScript(script, args, env, opts.stdin)
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; run.child.kill('SIGKILL') }, opts.timeoutMs ?? processTimeoutMs)
  const code = await run.exited
  clearTimeout(timer)
  if (timedOut) throw new Error(`${script} did not finish within ${(opts.timeoutMs ?? processTimeoutMs) / 1000} s:\n${run.output()}`)
  return { code: typeof code === 'number' ? code : null, output: run.output() }
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
export async function waitUntil (check: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!await check()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}
