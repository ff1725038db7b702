import { parseArgs } from 'node:util'
import { loadConfig } from '../config.ts'
import { createDb } from '../db/connection.ts'
import { migrateToLatest } from '../db/migrate.ts'
import { SYSTEM } from '../domain/actor.ts'
import { DomainError } from '../domain/errors.ts'
import { validateStaffUser } from '../domain/staff.ts'
import { createStaffUser } from '../services/staff-service.ts'

/**
 * `npm run user:create -- --email E --name N --role admin|leader|volunteer --password-stdin`
 * The password is read from standard input, so it stays out of the shell history.
 */
async function readStdin (): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}

const usage = 'Usage: npm run user:create -- --email E --name N --role admin|leader|volunteer --password-stdin'

try {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      'password-stdin': { type: 'boolean' }
    }
  })
  if (!values['password-stdin']) throw new Error(`--password-stdin is required.\n${usage}`)
  const result = validateStaffUser({ email: values.email ?? '', name: values.name ?? '', role: values.role ?? '', password: await readStdin() })
  if (!result.ok) throw new Error(`${Object.entries(result.errors).map(([field, message]) => `--${field}: ${message}`).join('\n')}\n${usage}`)
  const config = loadConfig()
  const db = createDb(config)
  try {
    await migrateToLatest(db)
    const id = await createStaffUser(db, SYSTEM, result.value)
    console.log(`Created ${result.value.role} ${result.value.email} (id ${id}).`)
  } finally {
    await db.destroy()
  }
} catch (error) {
  if (error instanceof DomainError && error.code === 'email_taken') console.error('A staff user with that e-mail already exists.')
  else console.error((error as Error).message)
  process.exitCode = 1
}
