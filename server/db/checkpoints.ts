import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/** How often the worker copies the log back into the database file. */
const CHECKPOINT_EVERY_MS = 500

/**
 * Pages in the log after which the server's own connection checkpoints anyway (80 MB):
 * if the worker falls behind, the log still cannot grow without bound.
 */
export const FALLBACK_CHECKPOINT_PAGES = 20_000

/** SQLite's own default: the connection that commits checkpoints after 1,000 pages. */
export const DEFAULT_CHECKPOINT_PAGES = 1000

// Plain JavaScript run by the worker thread, with a connection of its own. PASSIVE never
// waits for, or holds up, a reader or a writer: a commit in the server goes on meanwhile.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file)
const checkpoint = () => {
  // Another checkpoint at the same moment (a backup) is no failure: the next one follows.
  try { parentPort.postMessage(db.pragma('wal_checkpoint(PASSIVE)')[0]) } catch {}
}
const timer = setInterval(checkpoint, workerData.everyMs)
parentPort.on('message', () => {
  clearInterval(timer)
  db.close()
  parentPort.close()
})
`

export interface BackgroundCheckpoints {
  /** Checkpoints the worker has run so far. */
  readonly count: number
  stop: () => void
}

/**
 * SQLite in WAL mode appends each commit to the log and now and then copies the log back
 * into the database file, with an fsync: a checkpoint. Run by the connection that
 * commits, as by default, it stops the whole server for 10 to 150 ms on a busy disk,
 * every thousand pages: in a booking rush every waiting request waited for it, and it was
 * most of the time commits took. The server's connection leaves checkpoints to a worker
 * thread with a connection of its own, which runs one every half second. If the worker
 * stops, `onFailure` gives the checkpoints back to the server's connection.
 */
export function startBackgroundCheckpoints (file: string, onFailure: () => void): BackgroundCheckpoints {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const worker = new Worker(WORKER, { eval: true, workerData: { file, driver, everyMs: CHECKPOINT_EVERY_MS }, resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2, codeRangeSizeMb: 4, stackSizeMb: 1 } })
  // It never keeps the process alive on its own.
  worker.unref()
  let count = 0
  let stopped = false
  worker.on('message', () => { count++ })
  worker.on('error', () => { if (!stopped) onFailure() })
  worker.on('exit', () => { if (!stopped) onFailure() })
  return {
    get count () { return count },
    stop: () => {
      if (stopped) return
      stopped = true
      worker.postMessage('stop')
    }
  }
}
