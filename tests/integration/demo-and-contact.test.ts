import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { DEMO_CONTACT, demoEnvironment, demoStartLines } from '../../server/cli/demo-start.ts'
import type { Config } from '../../server/config.ts'
import { createTestDb } from '../helpers/database.ts'
import { testConfig } from '../helpers/http.ts'

/** Builds the app as a start would, and returns what it logged while starting. */
async function startLog (overrides: Partial<Config>): Promise<string> {
  let log = ''
  const stream = new Writable({ write (chunk: Buffer, _enc, done) { log += chunk.toString(); done() } })
  const app = await buildApp({ config: testConfig({ logLevel: 'info', ...overrides }), db: await createTestDb(), closeDb: true, logStream: stream })
  await app.ready()
  await app.close()
  return log
}

describe('the contact citizens are shown', () => {
  it('is named in a warning when a production start has no CONTACT_PHONE or DPO_CONTACT', async () => {
    const bare = await startLog({ env: 'production', isProduction: true, contactPhone: '', dpoContact: '' })
    const warnings = bare.split('\n').filter(Boolean).map(line => JSON.parse(line) as { level: number, msg: string }).filter(l => l.level === 40)
    expect(warnings.map(w => w.msg)).toEqual([
      expect.stringMatching(/^CONTACT_PHONE is not set: .*phone number/),
      expect.stringMatching(/^DPO_CONTACT is not set: .*data protection officer/)
    ])
    const onlyPhone = await startLog({ env: 'production', isProduction: true, contactPhone: '70 10 20 30', dpoContact: '' })
    expect(onlyPhone).not.toContain('CONTACT_PHONE is not set')
    expect(onlyPhone).toContain('DPO_CONTACT is not set')
    const both = await startLog({ env: 'production', isProduction: true, contactPhone: '70 10 20 30', dpoContact: 'dpo@kommune.dk' })
    expect(both).not.toContain('is not set')
    // Development and tests are not nagged.
    expect(await startLog({ contactPhone: '', dpoContact: '' })).not.toContain('is not set')
  })
})

describe('npm run demo', () => {
  it('fills in made-up contact details unless the environment has its own', () => {
    expect(demoEnvironment({ PORT: '3000' })).toMatchObject({ PORT: '3000', ...DEMO_CONTACT })
    expect(demoEnvironment({ CONTACT_PHONE: '70 10 20 30', DPO_CONTACT: '' })).toMatchObject({ CONTACT_PHONE: '70 10 20 30', DPO_CONTACT: DEMO_CONTACT.DPO_CONTACT })
  })

  it('ends its start-up output with where to go and what to expect, in plain lines', () => {
    const text = demoStartLines({ publicUrl: 'http://localhost:3000' }).join('\n')
    expect(text).toContain('Open http://localhost:3000 for the citizens\' pages.')
    expect(text).toContain('Open http://localhost:3000/personale for the staff pages.')
    expect(text).toContain('your first visit to the staff pages creates the administrator')
    expect(text).toContain('The demo data are made afresh at every start')
    expect(text).not.toMatch(/[{}]/)
  })
})
