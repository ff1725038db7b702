import { existsSync, mkdirSync, realpathSync, renameSync, rmSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import SQLite from 'better-sqlite3'

/**
 * A consistent copy of a live SQLite database, taken with SQLite's online backup API
 * while the server keeps serving (pages written meanwhile are copied again). The copy
 * is written next to the target and renamed into place only after `PRAGMA
 * integrity_check` says ok, so a half-written backup never takes a good one's name.
 */
export async function backupSqlite (sourceFile: string, targetFile: string): Promise<{ pages: number, bookings: number }> {
  if (!existsSync(sourceFile)) throw new Error(`There is no database at ${sourceFile}.`)
  const target = resolve(targetFile)
  const real = (file: string) => existsSync(file) ? realpathSync(file) : file
  const source = real(resolve(sourceFile))
  if (real(target) === source || [`${source}-wal`, `${source}-shm`, `${source}-journal`].includes(real(target))) {
    throw new Error('The backup must go to another file than the database itself (or its -wal, -shm and -journal files).')
  }
  mkdirSync(dirname(target), { recursive: true })
  const partial = `${target}.partial`
  rmSync(partial, { force: true })
  const live = new SQLite(sourceFile, { readonly: true, fileMustExist: true })
  live.pragma('busy_timeout = 5000')
  let pages = 0
  try {
    const result = await live.backup(partial, { progress: ({ totalPages }) => { pages = totalPages; return 200 } })
    pages = result.totalPages
  } finally {
    live.close()
  }
  const copy = new SQLite(partial, { fileMustExist: true })
  try {
    const check = copy.pragma('integrity_check', { simple: true })
    if (check !== 'ok') throw new Error(`The backup failed its integrity check: ${String(check)}`)
    copy.pragma('journal_mode = DELETE')
    const bookings = (copy.prepare('select count(*) as n from bookings').get() as { n: number }).n
    copy.close()
    renameSync(partial, target)
    return { pages, bookings }
  } catch (error) {
    copy.close()
    rmSync(partial, { force: true })
    throw error
  }
}
