import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { createClass } from '../helpers/factories.ts'
import { databaseEnv, newDatabase, onPostgres } from '../helpers/database.ts'
import { bookOverHttp, prepareDatabase, runScript, startServerProcess } from '../helpers/server-process.ts'

const bookOver = async (base: string, classId: number, name: string) =>
  await bookOverHttp(base, classId, { name, phone: '', email: `${name.replace(/\s/g, '.').toLowerCase()}@example.dk` })

// The online backup copies the SQLite file; PostgreSQL installations use pg_dump (README).
describe.skipIf(onPostgres)('backup of the SQLite file', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'digikurser-backup-'))
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('takes a consistent online backup while the server serves, and a restored backup has every booking', async () => {
    const file = join(dir, 'live.sqlite')
    let classId = 0
    const env = { ...await prepareDatabase(file, async db => { classId = await createClass(db, { capacity: 500 }) }), BOOKING_RATE_LIMIT: '10000', BOOKING_LIMIT_PER_CLASS: '10000' }
    const server = await startServerProcess(env)
    const tokens: string[] = []
    for (let i = 0; i < 20; i++) tokens.push(await bookOver(server.base, classId, `Før ${i}`) ?? '')

    // Bookings keep coming while the backup is taken.
    const state = { rushing: true }
    const during: string[] = []
    const rush = (async () => { let i = 0; while (state.rushing) during.push(await bookOver(server.base, classId, `Under ${i++}`) ?? '') })()
    const duringBackup = await runScript('server/cli/backup.ts', [join(dir, 'during.sqlite')], env)
    state.rushing = false
    await rush
    expect(duringBackup.output).toMatch(/Backup written to .*during\.sqlite: \d+ pages, \d+ bookings, integrity ok/)
    expect(duringBackup.code).toBe(0)
    const copy = new SQLite(join(dir, 'during.sqlite'), { readonly: true })
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok')
    const inCopy = new Set((copy.prepare('select token from bookings').all() as Array<{ token: string }>).map(r => r.token))
    copy.close()
    expect(tokens.every(t => inCopy.has(t))).toBe(true)
    expect(during.length).toBeGreaterThan(0)

    // After the rush: back up, stop, restore into a new place, and find every booking.
    const after = await runScript('server/cli/backup.ts', [join(dir, 'nightly.sqlite')], env)
    expect(after.code).toBe(0)
    server.child.kill('SIGTERM')
    await server.exited
    const restored = join(dir, 'restored', 'digikurser.sqlite')
    mkdirSync(join(dir, 'restored'))
    copyFileSync(join(dir, 'nightly.sqlite'), restored)
    const again = await startServerProcess({ DATABASE_FILE: restored })
    for (const token of [...tokens, ...during]) {
      expect(token).not.toBe('')
      expect((await fetch(`${again.base}/tilmelding/${token}`)).status, token).toBe(200)
    }
    again.child.kill('SIGTERM')
    expect(await again.exited).toBe(0)

    // Misuse gets a clear message.
    expect((await runScript('server/cli/backup.ts', [], env)).output).toContain('Usage: npm run backup -- FILE')
    expect((await runScript('server/cli/backup.ts', [file], env)).output).toContain('another file than the database')
    expect((await runScript('server/cli/backup.ts', [`${file}-wal`], env)).output).toContain('another file than the database')
  })
})

describe.runIf(onPostgres)('backup on PostgreSQL', { timeout: 120_000 }, () => {
  it('points to pg_dump instead of copying a file', async () => {
    const result = await runScript('server/cli/backup.ts', ['/tmp/never-written.sqlite'], databaseEnv(await newDatabase()))
    expect(result.code).toBe(2)
    expect(result.output).toContain('pg_dump')
  })
})
