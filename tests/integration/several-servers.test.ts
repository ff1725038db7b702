import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../server/db/connection.ts'
import { claimNextDue } from '../../server/repositories/outbox-repository.ts'
import { bookSeat } from '../../server/services/booking-service.ts'
import { runRetentionIfDue } from '../../server/services/privacy-service.ts'
import { createFirstAdmin } from '../../server/services/staff-service.ts'
import { runReminderScheduleIfDue } from '../../server/services/reminder-service.ts'
import { assignToClass } from '../../server/services/volunteer-service.ts'
import { bookingInput, createClass, createClassToday, createStaff, seedEarlierParticipants, staffIdOf, asStaff } from '../helpers/factories.ts'
import { csrfOf } from '../helpers/http.ts'
import { databaseEnv, newDatabase, newEmptyPostgresDatabase, onPostgres, openDatabase } from '../helpers/database.ts'
import { HttpClient } from '../helpers/http-client.ts'
import { type ServerProcess, prepareDatabase, startServerProcess, waitUntil } from '../helpers/server-process.ts'
import { type SmtpPeer, startSmtpPeer } from '../helpers/smtp.ts'
import { CITIZEN } from '../../server/domain/actor.ts'
import { ZONE } from '../../server/domain/time.ts'

const earlier = new Date(Date.now() - 3 * 86400_000)

/**
 * Two server processes on different ports sharing one PostgreSQL database, as behind a
 * load balancer: requests alternate between them, and one browser's requests land on
 * either. Their outbox workers and schedules run as in production.
 */
describe.runIf(onPostgres)('two servers on one PostgreSQL database', () => {
  let servers: ServerProcess[] = []
  let peer: SmtpPeer
  let db: Db
  const rushClasses: number[] = []
  let today: { classId: number, meetingId: number }
  let remindedBookings = 0
  const volunteers = ['frida@bib.dk', 'ole@bib.dk']
  const password = 'en lang og sikker adgangskode'

  beforeAll(async () => {
    const env = await prepareDatabase(':memory:', async seed => {
      for (let i = 0; i < 6; i++) rushClasses.push(await createClass(seed, { capacity: 10 }))
      await createStaff(seed, 'leader', 'leder@bib.dk', password)
      // 2,999 people came before: one of the people checked in below is the 3,000th.
      await seedEarlierParticipants(seed, 2999)
      // Today's class starts within the hour, or at this minute late in the evening (so that
      // it is still today at the door): its people give no e-mail, so its reminder, due or
      // not by the hour this runs, sends nothing. The reminders come from a class an hour
      // ahead, whenever the suite runs.
      today = await createClassToday(seed, { capacity: 60 })
      for (let i = 0; i < 60; i++) {
        await bookSeat(seed, CITIZEN, today.classId, bookingInput({ name: `Deltager ${i}`, phone: `+4530000${String(i).padStart(3, '0')}`, email: null }), { source: 'phone', now: earlier })
      }
      const inAnHour = DateTime.now().setZone(ZONE).plus({ hours: 1 }).startOf('minute').toISO({ includeOffset: false })!
      const soon = await createClass(seed, { capacity: 30, meetings: [inAnHour] })
      for (let i = 0; i < 20; i++) {
        await bookSeat(seed, CITIZEN, soon, bookingInput({ name: `Snart ${i}`, phone: `+4531000${String(i).padStart(3, '0')}`, email: `snart${i}@example.dk` }), { source: 'phone', now: earlier })
      }
      remindedBookings = 20
      for (const email of volunteers) {
        await createStaff(seed, 'volunteer', email, password)
        const id = await staffIdOf(seed, email)
        await assignToClass(seed, asStaff(id), today.classId, id, 'helper')
      }
    })
    peer = await startSmtpPeer({ delayMs: 5 })
    // Behind a reverse proxy, as in production: the proxy tells each citizen's address.
    // In production mode, so pages are made once for every citizen (reply.viewKept), as live.
    const serverEnv = { ...env, NODE_ENV: 'production', SMTP_URL: `smtp://127.0.0.1:${peer.port}`, MAIL_FROM: 'Kurser <kurser@bib.dk>', BOOKING_RATE_LIMIT: '100000', BOOKING_LIMIT_PER_CLASS: '100000', DOOR_RATE_LIMIT: '100000', TRUST_PROXY: 'true' }
    servers = await Promise.all([startServerProcess(serverEnv), startServerProcess(serverEnv)])
    db = openDatabase(env.DATABASE_URL!)
  }, 180_000)

  afterAll(async () => {
    for (const s of servers) s.child.kill('SIGTERM')
    await Promise.all(servers.map(async s => await s.exited))
    await db?.destroy()
    await peer?.close()
  })

  const server = (n: number) => servers[n % 2]!.base

  /** What the catalogue on one server says about a class's seats. */
  const seatsShown = async (n: number, classId: number) => {
    const page = await (await fetch(`${server(n)}/`)).text()
    return new RegExp(`href="/hold/${classId}"[\\s\\S]*?(\\d+ ledige? plads(?:er)?|Fuldt)`).exec(page)?.[1]
  }

  it('keeps a citizen\'s form and a staff sign-in valid whichever server answers', async () => {
    // The second server has the catalogue kept; the booking is made on the first.
    expect(await seatsShown(1, rushClasses[0]!)).toBe('10 ledige pladser')
    const citizen = new HttpClient()
    const page = await citizen.get(`${server(1)}/hold/${rushClasses[0]}`)
    expect(page.text).toContain('Der er 10 ledige pladser.')
    const booked = await citizen.postForm(`${server(0)}/hold/${rushClasses[0]}/tilmeld`, { _csrf: csrfOf(page.text), name: 'Grethe Hansen', phone: '12345678', email: '' })
    expect(booked.status).toBe(303)
    expect((await citizen.get(`${server(1)}${booked.location}`)).text).toContain('Du har en plads')
    // The second server's kept catalogue knows at once.
    expect(await seatsShown(1, rushClasses[0]!)).toBe('9 ledige pladser')
    expect((await new HttpClient().get(`${server(1)}/hold/${rushClasses[0]}`)).text).toContain('Der er 9 ledige pladser.')

    const leader = new HttpClient()
    const signIn = await leader.get(`${server(1)}/personale/log-ind`)
    expect((await leader.postForm(`${server(0)}/personale/log-ind`, { _csrf: csrfOf(signIn.text), email: 'leder@bib.dk', password })).status).toBe(303)
    for (const n of [0, 1]) expect((await leader.get(`${server(n)}/personale`)).status).toBe(200)
    // A form from one server with a forged token is still refused by the other.
    expect((await citizen.postForm(`${server(1)}/hold/${rushClasses[0]}/tilmeld`, { _csrf: 'forfalsket', name: 'Ond', phone: '12345679', email: '' })).status).toBe(403)
  })

  it('counts sign-in attempts from one address together on both servers', async () => {
    const attempts: number[] = []
    for (let n = 0; n < 14; n++) {
      const form = await fetch(`${server(n)}/personale/log-ind`, { headers: { 'x-forwarded-for': '198.51.100.7' } })
      const cookie = form.headers.getSetCookie().map(c => c.split(';')[0]).join('; ')
      const res = await fetch(`${server(n)}/personale/log-ind`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '198.51.100.7' },
        body: new URLSearchParams({ _csrf: csrfOf(await form.text()), email: 'leder@bib.dk', password: 'forkert adgangskode' }).toString()
      })
      attempts.push(res.status)
    }
    // Ten tries per 15 minutes in all, not ten per server.
    expect(attempts).toEqual([...Array(10).fill(401), ...Array(4).fill(429)])
    // Another address is not held back.
    const other = await fetch(`${server(0)}/personale/log-ind`, { headers: { 'x-forwarded-for': '198.51.100.8' } })
    expect(other.status).toBe(200)
    // No address is stored, only a keyed hash of it.
    const keys = await db.selectFrom('rate_limits').select('key').execute()
    expect(keys.length).toBeGreaterThan(0)
    expect(keys.some(k => k.key.includes('198.51.100'))).toBe(false)
  })

  it('fills each class exactly in a booking rush spread over both servers', { timeout: 120_000 }, async () => {
    const classes = rushClasses.slice(1)
    const answers = await Promise.all(Array.from({ length: 150 }, async (_, n) => {
      const citizen = new HttpClient()
      const classId = classes[n % classes.length]!
      // The page from one server, the booking to the other.
      const page = await citizen.get(`${server(n)}/hold/${classId}`)
      const res = await citizen.postForm(`${server(n + 1)}/hold/${classId}/tilmeld`, { _csrf: csrfOf(page.text), name: `Borger ${n}`, phone: String(20_000_000 + n), email: `borger${n}@example.dk` })
      return res.status
    }))
    expect(answers.filter(s => s !== 303)).toEqual([])
    for (const classId of classes) {
      const rows = await db.selectFrom('bookings').select(['status']).where('class_id', '=', classId).execute()
      expect(rows.filter(r => r.status === 'confirmed').length, `class ${classId}`).toBe(10)
      expect(rows.filter(r => r.status === 'waitlisted').length, `class ${classId}`).toBe(20)
    }
  })

  it('makes exactly one person the 3,000th when two volunteers check in on both servers at once', { timeout: 120_000 }, async () => {
    const tablets = await Promise.all(volunteers.map(async (email, i) => {
      const tablet = new HttpClient()
      const form = await tablet.get(`${server(i)}/personale/log-ind`)
      expect((await tablet.postForm(`${server(i)}/personale/log-ind`, { _csrf: csrfOf(form.text), email, password })).status).toBe(303)
      const sheet = await tablet.get(`${server(i + 1)}/tjek-ind/${today.meetingId}`)
      return { tablet, csrf: csrfOf(sheet.text) }
    }))
    const bookings = (await db.selectFrom('bookings').select('id').where('class_id', '=', today.classId).orderBy('id').execute()).map(r => r.id)
    const responses = await Promise.all(bookings.map(async (id, i) => {
      const { tablet, csrf } = tablets[i % 2]!
      return await tablet.postJson(`${server(Math.floor(i / 2))}/tjek-ind/${today.meetingId}/synk`, { _csrf: csrf, actions: [{ key: `tap-${String(id).padStart(8, '0')}`, type: 'in', bookingId: id }] })
    }))
    expect(responses.map(r => r.status).filter(s => s !== 200)).toEqual([])
    const winners = responses.flatMap(r => r.body.results as Array<{ milestones: Array<{ number: number }> }>).filter(r => r.milestones.some(m => m.number === 3000))
    expect(winners).toHaveLength(1)
    expect(await db.selectFrom('milestones').select(['scope', 'number']).where('number', '=', 3000).execute()).toEqual([{ scope: 'all', number: 3000 }])
    expect(await db.selectFrom('attendances').select('id').where('meeting_id', '=', today.meetingId).execute()).toHaveLength(60)
    const milestoneMail = await db.selectFrom('outbox').select('recipient').where('kind', '=', 'milestone').execute()
    expect(milestoneMail).toEqual([{ recipient: 'leder@bib.dk' }])
  })

  it('sends every e-mail exactly once from two outbox workers, and runs the schedule once per due moment', { timeout: 120_000 }, async () => {
    // Each booking above queued its confirmation; the first schedule run queued today's
    // reminders (the 3-hour one is due). Both servers' workers send from one outbox.
    await waitUntil(async () => (await db.selectFrom('outbox').select('id').where('status', 'in', ['queued', 'claimed', 'sending']).execute()).length === 0, 60_000, 200)
    const rows = await db.selectFrom('outbox').select(['id', 'kind', 'status', 'claimed_by']).execute()
    expect(rows.filter(r => r.status !== 'sent')).toEqual([])
    expect(rows.filter(r => r.kind === 'reminder')).toHaveLength(remindedBookings)
    expect(rows.filter(r => r.kind === 'booking_confirmed').length).toBeGreaterThanOrEqual(50)

    const counts = new Map<number, number>()
    for (const m of peer.received) {
      const id = Number(/outbox-(\d+)\./.exec(m.parsed.messageId ?? '')?.[1])
      counts.set(id, (counts.get(id) ?? 0) + 1)
    }
    expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([])
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(rows.map(r => r.id).sort((a, b) => a - b))
    // Both workers took part (each server logs what it sent), and no id was logged twice.
    const sentBy = servers.map(s => [...s.output().matchAll(/"outboxId":(\d+)[^\n]*"msg":"e-mail sent"/g)].map(m => Number(m[1])))
    for (const ids of sentBy) expect(ids.length).toBeGreaterThan(5)
    expect(sentBy.flat().sort((a, b) => a - b)).toEqual(rows.map(r => r.id).sort((a, b) => a - b))

    // Both servers started, and both asked for the first anonymisation (the 2,999 earlier
    // people signed up long ago and never booked): it ran once.
    expect(await db.selectFrom('audit_log').select('detail').where('action', '=', 'retention_anonymised').execute())
      .toEqual([{ detail: 'participants=2999 bookings=0 interest=0' }])
    const jobs = await db.selectFrom('scheduled_jobs').select(['name', 'last_run_at']).orderBy('name').execute()
    expect(jobs.map(j => j.name)).toEqual(['reminders', 'retention'])
    expect(jobs.every(j => j.last_run_at !== null)).toBe(true)
  })
})

/**
 * The same claims at the level of the database: several connection pools (as several
 * servers have) asking at the same moment.
 */
describe.runIf(onPostgres)('claims made by several servers at once', () => {
  it('gives each outbox message to exactly one of eight workers on two pools', async () => {
    const location = await newDatabase()
    const pools = [openDatabase(location, 4), openDatabase(location, 4)]
    const rows = Array.from({ length: 200 }, (_, i) => ({
      kind: 'interest_signed_up',
      recipient: `borger${i}@example.dk`,
      subject: 'Test',
      payload_json: '{}',
      dedupe_key: `claim-test-${i}`,
      status: 'queued' as const,
      not_before: '2026-01-01T00:00:00.000Z',
      attempts: 0,
      created_at: '2026-01-01T00:00:00.000Z'
    }))
    await pools[0]!.insertInto('outbox').values(rows).execute()
    const now = new Date().toISOString()
    const lease = new Date(Date.now() + 60_000).toISOString()
    const claimedBy = await Promise.all(Array.from({ length: 8 }, async (_, w) => {
      const ids: number[] = []
      for (;;) {
        const row = await claimNextDue(pools[w % 2]!, `worker-${w}`, now, lease)
        if (!row) return ids
        ids.push(row.id)
      }
    }))
    const all = claimedBy.flat()
    expect(all).toHaveLength(200)
    expect(new Set(all).size).toBe(200)
    expect(claimedBy.filter(ids => ids.length > 0).length).toBeGreaterThan(1)
    await Promise.all(pools.map(async p => { await p.destroy() }))
  })

  it('makes one person of someone booking two classes on two servers at the same moment, and one first admin', async () => {
    const location = await newDatabase()
    const pools = [openDatabase(location, 4), openDatabase(location, 4)]
    const classes = [await createClass(pools[0]!, { capacity: 50 }), await createClass(pools[0]!, { capacity: 50 })]
    for (let i = 0; i < 20; i++) {
      const person = bookingInput({ name: `Person ${i}`, phone: `+4540000${String(i).padStart(3, '0')}` })
      await Promise.all(pools.map(async (p, k) => await bookSeat(p, CITIZEN, classes[k]!, person, { source: 'online' })))
    }
    const people = await pools[0]!.selectFrom('participants').select(['phone', eb => eb.fn.countAll<number>().as('n')]).groupBy('phone').execute()
    expect(people).toHaveLength(20)
    expect(people.every(p => p.n === 1)).toBe(true)

    const admins = await Promise.allSettled(pools.map(async (p, k) => await createFirstAdmin(p, { email: `admin${k}@bib.dk`, name: `Admin ${k}`, role: 'admin', password: 'en lang og sikker adgangskode' })))
    expect(admins.filter(a => a.status === 'fulfilled')).toHaveLength(1)
    expect(await pools[0]!.selectFrom('staff_users').select('id').execute()).toHaveLength(1)
    await Promise.all(pools.map(async p => { await p.destroy() }))
  })

  it('runs the reminder schedule once a minute and the anonymisation once a day, whichever server asks', async () => {
    const location = await newDatabase()
    const pools = [openDatabase(location, 4), openDatabase(location, 4), openDatabase(location, 4)]
    const classId = await createClass(pools[0]!, { meetings: ['2030-03-05T10:00'] })
    for (let i = 0; i < 5; i++) await bookSeat(pools[0]!, CITIZEN, classId, bookingInput({ name: `Deltager ${i}`, email: `d${i}@example.dk` }), { source: 'online', now: new Date('2030-02-01T10:00:00Z') })
    // Three servers' timers ask every 20 seconds from 2 days 2 minutes before the class
    // to 1 day 23 hours 57 minutes before: five minutes, fifteen asks each.
    const start = Date.parse('2030-03-03T08:58:00Z')
    const ran: string[] = []
    for (let t = start; t < start + 5 * 60_000; t += 20_000) {
      const answers = await Promise.all(pools.map(async p => await runReminderScheduleIfDue(p, [2880, 180], new Date(t))))
      expect(answers.filter(Boolean).length).toBeLessThanOrEqual(1)
      if (answers.some(Boolean)) ran.push(new Date(t).toISOString().slice(11, 16))
    }
    expect(ran).toEqual(['08:58', '08:59', '09:00', '09:01', '09:02'])
    // The 2-day reminder, queued once for each of the five.
    expect(await pools[0]!.selectFrom('outbox').select('recipient').where('kind', '=', 'reminder').execute()).toHaveLength(5)

    const day = new Date('2030-06-01T03:00:00Z')
    const retention = await Promise.all(pools.map(async p => await runRetentionIfDue(p, 12, day)))
    expect(retention.filter(Boolean)).toHaveLength(1)
    expect((await Promise.all(pools.map(async p => await runRetentionIfDue(p, 12, new Date(day.getTime() + 3600_000))))).filter(Boolean)).toHaveLength(0)
    await Promise.all(pools.map(async p => { await p.destroy() }))
  })
})

describe.runIf(onPostgres)('two servers starting at once on a new database', () => {
  it('both start: one makes the tables, both sync the course files', { timeout: 240_000 }, async () => {
    for (let round = 0; round < 3; round++) {
      const env = databaseEnv(await newEmptyPostgresDatabase())
      const pair = await Promise.all([startServerProcess(env), startServerProcess(env)])
      for (const s of pair) expect((await fetch(`${s.base}/healthz`)).status).toBe(200)
      for (const s of pair) s.child.kill('SIGTERM')
      expect(await Promise.all(pair.map(async s => await s.exited))).toEqual([0, 0])
      const db = openDatabase(env.DATABASE_URL!)
      expect((await db.selectFrom('courses').select('slug').execute()).length).toBeGreaterThan(5)
      await db.destroy()
    }
  })
})

describe.skipIf(onPostgres)('two servers on one database', () => {
  it.skip('need PostgreSQL: these tests run in npm run test:pg (SQLite serves one server)', () => {})
})
