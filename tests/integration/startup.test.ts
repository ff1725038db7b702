import { spawn } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve as resolvePath } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { coursesDir } from '../helpers/database.ts'

const root = resolvePath(import.meta.dirname, '../..')

/** Runs a script as `npm start` would, with only the given environment. */
async function run (script: string, env: Record<string, string>, waitFor?: RegExp, args: string[] = [], stdin?: string): Promise<{ code: number | null, output: string }> {
  return await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']
    })
    if (stdin !== undefined) child.stdin?.end(stdin)
    let output = ''
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (waitFor?.test(output)) child.kill('SIGTERM')
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('exit', code => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

describe('starting the server', () => {
  let dir: string
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'digikurser-start-')) })
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('stops with a message naming a bad variable', async () => {
    const result = await run('server/main.ts', { PORT: 'tre tusind', DATABASE_FILE: join(dir, 'a.sqlite') })
    expect(result.code).toBe(1)
    expect(result.output).toContain('digikurser cannot start: Invalid configuration: PORT')
    expect(result.output).not.toMatch(/\n\s+at /)
  })

  it('stops with a message naming the course file and the field', async () => {
    const bad = join(dir, 'courses')
    cpSync(coursesDir, bad, { recursive: true })
    writeFileSync(join(bad, 'broken-course.md'), '---\nslug: broken-course\ntitle: Et kursus\ntopic: mitid\nlevel: begynder\nduration_minutes: 60\nbring: []\nlearning_goals: []\nnext: []\n---\nEn beskrivelse, der er lang nok til at blive læst.\n')
    const result = await run('server/main.ts', { COURSES_DIR: bad, DATABASE_FILE: join(dir, 'b.sqlite'), PORT: '0' })
    expect(result.code).toBe(1)
    expect(result.output).toContain('broken-course.md')
    expect(result.output).toContain('"learning_goals"')
  })

  it('migrates with npm run db:migrate, then starts and stops cleanly on SIGTERM', async () => {
    const env = { DATABASE_FILE: join(dir, 'c.sqlite'), PORT: '0', LOG_LEVEL: 'info' }
    const migrated = await run('server/cli/migrate.ts', env)
    expect(migrated.output).toContain('Applied: 20261121100000_initial')
    expect((await run('server/cli/migrate.ts', env)).output).toContain('The database is up to date.')
    const started = await run('server/main.ts', env, /digikurser is listening/)
    expect(started.output).toContain('digikurser is listening')
    expect(started.code).toBe(0)
  })

  it('creates staff users from the command line, reading the password from stdin', async () => {
    const env = { DATABASE_FILE: join(dir, 'd.sqlite') }
    const args = ['--email', 'Lise@Bib.dk', '--name', 'Lise Leder', '--role', 'leader', '--password-stdin']
    const created = await run('server/cli/user-create.ts', env, undefined, args, 'en lang og sikker adgangskode\n')
    expect(created.output).toContain('Created leader lise@bib.dk')
    expect(created.code).toBe(0)
    const twice = await run('server/cli/user-create.ts', env, undefined, args, 'en lang og sikker adgangskode\n')
    expect(twice.code).toBe(1)
    expect(twice.output).toContain('already exists')
    const bad = await run('server/cli/user-create.ts', env, undefined, ['--email', 'x@bib.dk', '--name', 'X', '--role', 'boss', '--password-stdin'], 'kort\n')
    expect(bad.code).toBe(1)
    expect(bad.output).toContain('--role')
    expect(bad.output).toContain('--password')
  })
})
