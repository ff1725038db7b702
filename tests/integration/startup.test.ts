import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { coursesDir } from '../helpers/database.ts'
import { runScript, startServerProcess } from '../helpers/server-process.ts'

// Each test starts one or more `node --import tsx` processes, as `npm start` does: seconds
// each on an idle machine, many more on a busy one.
describe('starting the server', { timeout: 180_000 }, () => {
  let dir: string
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'digikurser-start-')) })
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('stops with a message naming a bad variable', async () => {
    const result = await runScript('server/main.ts', [], { PORT: 'tre tusind', DATABASE_FILE: join(dir, 'a.sqlite') })
    expect(result.code).toBe(1)
    expect(result.output).toContain('digikurser cannot start: Invalid configuration: PORT')
    expect(result.output).not.toMatch(/\n\s+at /)
  })

  it('stops with a message naming the course file and the field', async () => {
    const bad = join(dir, 'courses')
    cpSync(coursesDir, bad, { recursive: true })
    writeFileSync(join(bad, 'broken-course.md'), '---\nslug: broken-course\ntitle: Et kursus\ntopic: mitid\nlevel: begynder\nduration_minutes: 60\nbring: []\nlearning_goals: []\nnext: []\n---\nEn beskrivelse, der er lang nok til at blive læst.\n')
    const result = await runScript('server/main.ts', [], { COURSES_DIR: bad, DATABASE_FILE: join(dir, 'b.sqlite'), PORT: '0' })
    expect(result.code).toBe(1)
    expect(result.output).toContain('broken-course.md')
    expect(result.output).toContain('"learning_goals"')
  })

  it('migrates with npm run db:migrate, then starts and stops cleanly on SIGTERM', async () => {
    const env = { DATABASE_FILE: join(dir, 'c.sqlite') }
    const migrated = await runScript('server/cli/migrate.ts', [], env)
    expect(migrated.output).toContain('Applied: 20261121100000_initial')
    expect((await runScript('server/cli/migrate.ts', [], env)).output).toContain('The database is up to date.')
    const server = await startServerProcess(env)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(server.output()).toContain('"signal":"SIGTERM"')
  })

  it('creates staff users from the command line, reading the password from stdin', async () => {
    const env = { DATABASE_FILE: join(dir, 'd.sqlite') }
    const args = ['--email', 'Lise@Bib.dk', '--name', 'Lise Leder', '--role', 'leader', '--password-stdin']
    const created = await runScript('server/cli/user-create.ts', args, env, { stdin: 'en lang og sikker adgangskode\n' })
    expect(created.output).toContain('Created leader lise@bib.dk')
    expect(created.code).toBe(0)
    const twice = await runScript('server/cli/user-create.ts', args, env, { stdin: 'en lang og sikker adgangskode\n' })
    expect(twice.code).toBe(1)
    expect(twice.output).toContain('already exists')
    const bad = await runScript('server/cli/user-create.ts', ['--email', 'x@bib.dk', '--name', 'X', '--role', 'boss', '--password-stdin'], env, { stdin: 'kort\n' })
    expect(bad.code).toBe(1)
    expect(bad.output).toContain('--role')
    expect(bad.output).toContain('--password')
  })
})
