import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { root, runScript, startServerProcess } from '../helpers/server-process.ts'

/**
 * `npm run build` and what `npm start`, `npm run demo` and `npm run db:migrate` run from
 * it: the bundle in dist/, with plain node (no tsx, no TypeScript). On Node 20 plain node
 * cannot load a .ts file at all, so a bundle that still needed one fails here.
 */
describe('the production build', { timeout: 300_000 }, () => {
  let dir: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'digikurser-build-'))
    await promisify(execFile)(process.execPath, ['tools/build.mjs'], { cwd: root, timeout: 240_000 })
  }, 300_000)
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('bundles every migration, and db:migrate applies them with plain node', async () => {
    const sources = readdirSync(join(root, 'migrations')).filter(f => f.endsWith('.ts')).map(f => f.replace(/\.ts$/, ''))
    const built = readdirSync(join(root, 'dist/migrations')).filter(f => f.endsWith('.js')).map(f => f.replace(/\.js$/, ''))
    expect(built.sort()).toEqual(sources.sort())
    const env = { DATABASE_FILE: join(dir, 'migrate.sqlite') }
    const first = await runScript('dist/server/cli/migrate.js', [], env)
    expect(first.code).toBe(0)
    for (const name of sources) expect(first.output).toContain(name)
    expect((await runScript('dist/server/cli/migrate.js', [], env)).output).toContain('The database is up to date.')
  })

  it('serves the catalogue, a class page, the design system and a staff page', async () => {
    const server = await startServerProcess({ DATABASE_FILE: join(dir, 'start.sqlite'), NODE_ENV: 'production' }, 'dist/server/main.js')
    const catalogue = await fetch(`${server.base}/`)
    expect(catalogue.status).toBe(200)
    expect(await catalogue.text()).toContain('Kommende hold')
    expect((await fetch(`${server.base}/static/dkfds/css/dkfds.min.css`)).status).toBe(200)
    expect((await fetch(`${server.base}/privatliv`)).status).toBe(200)
    const staff = await fetch(`${server.base}/personale`, { redirect: 'manual' })
    expect([200, 302, 303]).toContain(staff.status)
    expect(server.output()).not.toMatch(/"level":50/)
  })

  it('points a stack trace at the TypeScript file and line, through the source maps', async () => {
    // A folder where the database file should be: SQLite cannot open it, an unexpected
    // error whose stack is printed.
    const result = await runScript('dist/server/main.js', [], { DATABASE_FILE: dir, PORT: '0' })
    expect(result.code).toBe(1)
    expect(result.output).toMatch(/at createSqliteDb \(.*server\/db\/connection\.ts:\d+:\d+\)/)
    const map = JSON.parse(readFileSync(join(root, 'dist/server/main.js.map'), 'utf8')) as { sources: string[] }
    expect(map.sources.some(s => s.endsWith('server/main.ts'))).toBe(true)
  })
})
