import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../server/config.ts'

const base = { DATABASE_FILE: ':memory:' }

describe('configuration', () => {
  it('starts with defaults and no .env at all', () => {
    const config = loadConfig({ ...base })
    expect(config.port).toBe(3000)
    expect(config.host).toBe('127.0.0.1')
    expect(config.publicUrl).toBe('http://localhost:3000')
    expect(config.sessionKey.length).toBe(32)
    expect(config.isProduction).toBe(false)
  })

  it('uses PostgreSQL with DATABASE_URL, and then needs the shared SESSION_SECRET', () => {
    const url = 'postgres://digikurser:hemmelig@db.internal:5432/digikurser'
    expect(loadConfig({ ...base }).databaseUrl).toBeNull()
    expect(() => loadConfig({ ...base, DATABASE_URL: url })).toThrow(/SESSION_SECRET must be set when DATABASE_URL is set, and be the same on every server/)
    const config = loadConfig({ ...base, DATABASE_URL: url, SESSION_SECRET: 'a'.repeat(64), DATABASE_POOL_SIZE: '20' })
    expect(config.databaseUrl).toBe(url)
    expect(config.databasePoolSize).toBe(20)
    // Several servers may share PostgreSQL, so they share state there; SQLite has one server.
    expect(config.sharedState).toBe(true)
    expect(loadConfig({ ...base }).sharedState).toBe(false)
    // A wrong URL is named, but never echoed: it may hold a password.
    const wrong = (() => { try { loadConfig({ ...base, DATABASE_URL: 'mysql://root:hemmelig@db/x' }); return '' } catch (e) { return (e as Error).message } })()
    expect(wrong).toContain('DATABASE_URL')
    expect(wrong).not.toContain('hemmelig')
    expect(() => loadConfig({ ...base, DATABASE_POOL_SIZE: '0' })).toThrow(/DATABASE_POOL_SIZE/)
  })

  it('converts values', () => {
    const config = loadConfig({ ...base, PORT: '8080', TRUST_PROXY: 'true', PUBLIC_URL: 'https://kurser.horsens.dk/', BOOKING_RATE_LIMIT: '5' })
    expect(config.port).toBe(8080)
    expect(config.trustProxy).toBe(true)
    expect(config.publicUrl).toBe('https://kurser.horsens.dk')
    expect(config.bookingRateLimit).toBe(5)
  })

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['NODE_ENV', 'staging'],
    ['PUBLIC_URL', 'kurser.dk'],
    ['SESSION_SECRET', 'too-short'],
    ['LOG_LEVEL', 'loud'],
    ['TRUST_PROXY', 'maybe']
  ])('stops on a bad %s and names it', (name, value) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(ConfigError)
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(name)
  })

  it('reads TRUST_PROXY as off, on, or the proxies\' addresses and networks', () => {
    expect(loadConfig({ ...base }).trustProxy).toBe(false)
    expect(loadConfig({ ...base, TRUST_PROXY: 'false' }).trustProxy).toBe(false)
    expect(loadConfig({ ...base, TRUST_PROXY: '127.0.0.1' }).trustProxy).toEqual(['127.0.0.1'])
    expect(loadConfig({ ...base, TRUST_PROXY: ' 10.0.0.5, 10.0.1.0/24,fd00::/8 ,::1' }).trustProxy).toEqual(['10.0.0.5', '10.0.1.0/24', 'fd00::/8', '::1'])
    expect(loadConfig({ ...base, TRUST_PROXY: 'loopback' }).trustProxy).toEqual(['loopback'])
  })

  it.each(['10.0.0.300', '10.0.0.0/33', 'fd00::/129', 'nginx', '10.0.0.1,,10.0.0.2', '1'])('stops on TRUST_PROXY=%s and names the variable', (value) => {
    expect(() => loadConfig({ ...base, TRUST_PROXY: value })).toThrow(ConfigError)
    expect(() => loadConfig({ ...base, TRUST_PROXY: value })).toThrow(/TRUST_PROXY.*IP address/)
  })

  it('takes a 64-character hex session secret as the key', () => {
    const secret = 'ab'.repeat(32)
    expect(loadConfig({ ...base, SESSION_SECRET: secret }).sessionKey.toString('hex')).toBe(secret)
  })
})
