import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

/** Every variable the server reads is explained in .env.example and listed in the README. */
describe('settings are documented', () => {
  const config = readFileSync('server/config.ts', 'utf8')
  const schema = config.slice(config.indexOf('const EnvSchema'), config.indexOf('type Env ='))
  const variables = [...schema.matchAll(/^\s{2}([A-Z][A-Z0-9_]+):/gm)].map(m => m[1] as string)
  const example = readFileSync('.env.example', 'utf8')
  const readme = readFileSync('README.md', 'utf8')

  it('finds the variables', () => {
    expect(variables).toContain('SMS_PROVIDER')
    expect(variables.length).toBeGreaterThan(30)
  })

  it.each(variables)('%s is in .env.example and the README', variable => {
    expect(example).toMatch(new RegExp(`^${variable}=`, 'm'))
    expect(readme).toContain(`\`${variable}\``)
  })
})
