import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../server/config.ts'
import { createStaff } from '../helpers/factories.ts'
import { buildTestApp, cookieOf, csrfOf, type TestApp } from '../helpers/http.ts'

/**
 * Item 8 of issue 14 (sign-in): a limit per account as well as per address, the proxy's
 * X-Forwarded-For believed only from the proxies named in TRUST_PROXY, and "too many
 * tries" texts about signing in.
 */
/** TRUST_PROXY as an administrator writes it in the environment. */
const trustProxy = (value: string) => ({ trustProxy: loadConfig({ DATABASE_FILE: ':memory:', TRUST_PROXY: value }).trustProxy })

describe('sign-in limits', () => {
  let t: TestApp
  afterEach(async () => { await t.app.close() })

  /** One sign-in attempt as a browser at `address` would make it (the proxy sets X-Forwarded-For). */
  async function attempt (address: string | null, email: string, password: string) {
    const page = await request(t.app.server).get('/personale/log-ind').set(address ? { 'x-forwarded-for': address } : {})
    const post = request(t.app.server).post('/personale/log-ind').set('cookie', cookieOf(page.headers['set-cookie']))
    if (address) post.set('x-forwarded-for', address)
    return await post.type('form').send({ _csrf: csrfOf(page.text), email, password })
  }

  it('stops guesses at one account spread over many addresses; the account pauses, another is unaffected', async () => {
    t = await buildTestApp(trustProxy('127.0.0.1'))
    const lise = await createStaff(t.db, 'leader', 'lise@bib.dk')
    const anne = await createStaff(t.db, 'admin', 'anne@bib.dk')
    for (let i = 1; i <= 10; i++) {
      const wrong = await attempt(`203.0.113.${i}`, i % 2 === 0 ? 'LISE@bib.dk ' : 'lise@bib.dk', `gæt nummer ${i}`)
      expect(wrong.status).toBe(401)
    }
    const refused = await attempt('203.0.113.11', lise.email, lise.password)
    expect(refused.status).toBe(429)
    expect(refused.text).toContain('For mange forsøg på at logge ind')
    expect(refused.text).toMatch(/Vent \d+ minutter/)
    expect(refused.text).not.toContain('tilmelding')
    expect(refused.text).toContain('value="lise@bib.dk"')
    expect((await attempt('203.0.113.12', anne.email, anne.password)).status).toBe(303)
    // The count is kept under a keyed hash of the address, never the address itself.
    const keys = (await t.db.selectFrom('rate_limits').select('key').execute()).map(r => r.key).join(' ')
    expect(keys).not.toContain('lise')
  })

  it('lets the account in again after the pause, and a right password does not count as a failure', async () => {
    t = await buildTestApp(trustProxy('127.0.0.1'))
    const lise = await createStaff(t.db, 'leader', 'lise@bib.dk')
    for (let i = 1; i <= 9; i++) expect((await attempt(`198.51.100.${i}`, lise.email, 'forkert')).status).toBe(401)
    for (let i = 10; i <= 12; i++) expect((await attempt(`198.51.100.${i}`, lise.email, lise.password)).status).toBe(303)
    expect((await attempt('198.51.100.13', lise.email, 'forkert')).status).toBe(401)
    expect((await attempt('198.51.100.14', lise.email, lise.password)).status).toBe(429)
    // The window ends: shift it into the past rather than wait 15 minutes.
    await t.db.updateTable('rate_limits').set({ expires_at: Date.now() - 1 }).execute()
    expect((await attempt('198.51.100.15', lise.email, lise.password)).status).toBe(303)
  })

  it('answers too many tries from one address with a text about signing in, on the sign-in and the PIN page', async () => {
    t = await buildTestApp()
    await createStaff(t.db, 'admin')
    let last = await attempt(null, 'nobody-0@bib.dk', 'forkert')
    for (let i = 1; i < 11 && last.status !== 429; i++) last = await attempt(null, `nobody-${i}@bib.dk`, 'forkert')
    expect(last.status).toBe(429)
    expect(last.text).toContain('For mange forsøg på at logge ind')
    expect(last.text).not.toMatch(/tilmelding/i)

    let pin = await request(t.app.server).post('/tjek-ind/adgang/abcdefghijklmnopqrstuvwx').type('form').send({ pin: '123456' })
    for (let i = 0; i < 25 && pin.status !== 429; i++) pin = await request(t.app.server).post('/tjek-ind/adgang/abcdefghijklmnopqrstuvwx').type('form').send({ pin: '123456' })
    expect(pin.status).toBe(429)
    expect(pin.text).toContain('For mange forsøg på at logge ind')
    expect(pin.text).not.toMatch(/tilmelding/i)
  })
})

describe('TRUST_PROXY names the proxies', () => {
  let t: TestApp
  afterEach(async () => { await t.app.close() })

  /** Eleven failed sign-ins from one connection, each claiming a new address, to different accounts. */
  async function elevenSpoofed () {
    await createStaff(t.db, 'admin')
    let status = 0
    for (let i = 1; i <= 11; i++) {
      const page = await request(t.app.server).get('/personale/log-ind')
      status = (await request(t.app.server).post('/personale/log-ind').set('cookie', cookieOf(page.headers['set-cookie']))
        .set('x-forwarded-for', `192.0.2.${i}`).type('form').send({ _csrf: csrfOf(page.text), email: `someone-${i}@bib.dk`, password: 'forkert' })).status
    }
    return status
  }

  it('from a proxy it names (127.0.0.1), X-Forwarded-For is the client\'s address', async () => {
    t = await buildTestApp(trustProxy('127.0.0.1'))
    expect(await elevenSpoofed()).toBe(401)
  })

  it('from anyone else, a client\'s own X-Forwarded-For is ignored and does not escape the limit', async () => {
    t = await buildTestApp(trustProxy('10.1.2.3, 172.16.0.0/12'))
    expect(await elevenSpoofed()).toBe(429)
  })
})
