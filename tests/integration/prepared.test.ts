import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db, DbOrTx } from '../../server/db/connection.ts'
import { byColumns, prepare } from '../../server/db/prepared.ts'
import { CITIZEN, SYSTEM } from '../../server/domain/actor.ts'
import { bookSeat, cancelBooking } from '../../server/services/booking-service.ts'
import { newCheckinKey, runCheckinAction } from '../../server/services/checkin-service.ts'
import { closeWhenTestEnds } from '../helpers/cleanup.ts'
import { createTestDb, newDatabase, onPostgres, openDatabase } from '../helpers/database.ts'
import { bookingInput, bookNew, createClass } from '../helpers/factories.ts'

/*
 * Prepared queries (server/db/prepared.ts) are built once and run with new values. They
 * must send exactly the SQL that building the query each time sends, bind each value in
 * its place, and refuse a query in which a value did not become a parameter.
 */
describe('prepared queries', () => {
  let db: Db
  beforeEach(async () => { db = await createTestDb() })
  afterEach(async () => { await db.destroy() })

  const locationsNamed = prepare((db, v: { first: string, second: string }) => db.selectFrom('locations')
    .select(['id', 'name']).where(eb => eb.or([eb('name', '=', v.first), eb('name', '=', v.second)])).where('id', '>', 0).orderBy('id'))

  const place = { kind: 'library', street: 'Gade 1', postal_code: '8000', city: 'Aarhus', hearing_loop: 0, created_at: '2026-12-01T09:00:00.000Z' }
  async function addLocation (name: string): Promise<number> {
    const row = await db.insertInto('locations').values({ ...place, name, step_free: 0 }).returning('id').executeTakeFirstOrThrow()
    return row.id
  }

  it('sends the SQL a query built each time sends, with each run\'s own values in their places', async () => {
    const a = await addLocation('Alfa Bibliotek')
    const b = await addLocation('Beta Bibliotek')
    await addLocation('Gamma Bibliotek')
    const built = db.selectFrom('locations').select(['id', 'name']).where(eb => eb.or([eb('name', '=', 'x'), eb('name', '=', 'y')])).where('id', '>', 0).orderBy('id').compile()

    const seen: Array<{ sql: string, parameters: readonly unknown[] }> = []
    const original = db.executeQuery.bind(db)
    db.executeQuery = (async (query: Parameters<typeof original>[0]) => {
      if ('sql' in query) seen.push({ sql: query.sql, parameters: query.parameters })
      return await original(query)
    }) as typeof db.executeQuery

    expect(await locationsNamed.all(db, { first: 'Alfa Bibliotek', second: 'Beta Bibliotek' })).toEqual([{ id: a, name: 'Alfa Bibliotek' }, { id: b, name: 'Beta Bibliotek' }])
    expect(await locationsNamed.all(db, { first: 'Beta Bibliotek', second: 'Ingen' })).toEqual([{ id: b, name: 'Beta Bibliotek' }])
    expect(await locationsNamed.first(db, { first: 'Ingen', second: 'Heller ingen' })).toBeUndefined()
    expect(seen.map(s => s.sql)).toEqual([built.sql, built.sql, built.sql])
    expect(seen.map(s => s.parameters)).toEqual([['Alfa Bibliotek', 'Beta Bibliotek', 0], ['Beta Bibliotek', 'Ingen', 0], ['Ingen', 'Heller ingen', 0]])
  })

  it('runs inside a transaction, and counts the rows a write changed', async () => {
    const id = await addLocation('Delta Bibliotek')
    const rename = prepare((db, v: { id: number, name: string }) => db.updateTable('locations').set({ name: v.name }).where('id', '=', v.id))
    await db.transaction().execute(async tx => {
      expect(await rename.run(tx, { id, name: 'Delta Hovedbibliotek' })).toBe(1)
      expect(await rename.run(tx, { id: id + 1000, name: 'Ingen' })).toBe(0)
    })
    await expect(db.transaction().execute(async tx => {
      await rename.run(tx, { id, name: 'Rullet tilbage' })
      throw new Error('roll back')
    })).rejects.toThrow('roll back')
    expect((await db.selectFrom('locations').select('name').where('id', '=', id).executeTakeFirstOrThrow()).name).toBe('Delta Hovedbibliotek')
  })

  it('prepares an insert once for each set of columns, leaving out undefined ones so their defaults apply', async () => {
    type Place = typeof place & { name: string, step_free?: number }
    const insert = byColumns((db, row: Place) => db.insertInto('locations').values(row as Place & { step_free: number }).returning(['name', 'step_free']))
    const plain: Place = { ...place, name: 'Epsilon', step_free: undefined }
    const stepFree: Place = { ...place, name: 'Zeta', step_free: 1 }
    expect(await insert(plain).first(db, plain)).toEqual({ name: 'Epsilon', step_free: 0 })
    expect(await insert(stepFree).first(db, stepFree)).toEqual({ name: 'Zeta', step_free: 1 })
    expect(insert(plain)).toBe(insert({ ...place, name: 'Eta' }))
    expect(insert(plain)).not.toBe(insert(stepFree))
  })

  it('refuses a query in which a value was written into the SQL or left out', async () => {
    const written = prepare((db, v: { name: string }) => db.selectFrom('locations').select('id').where('name', '=', sql.lit(v.name)))
    await expect(written.all(db, { name: 'x' })).rejects.toThrow(/written into the SQL/)
    const dropped = prepare((db, v: { name: string }) => db.selectFrom('locations').select('id').where(sql<boolean>`1 = 1 or ${sql.raw(v.name.slice(0, 0))}1 = 1`))
    await expect(dropped.all(db, { name: 'x' })).rejects.toThrow(/not a parameter/)
  })

  it('refuses a query that returns * rather than naming its columns', async () => {
    const star = prepare((db, v: { id: number }) => db.selectFrom('locations').selectAll().where('id', '=', v.id))
    await expect(star.all(db, { id: 1 })).rejects.toThrow(/names the columns/)
    const tableStar = prepare((db, v: { id: number }) => db.selectFrom('classes').innerJoin('locations', 'locations.id', 'classes.location_id').selectAll('locations').where('classes.id', '=', v.id))
    await expect(tableStar.all(db, { id: 1 })).rejects.toThrow(/names the columns/)
    const returning = prepare((db, v: { id: number }) => db.deleteFrom('locations').where('id', '=', v.id).returningAll())
    await expect(returning.run(db, { id: 1 })).rejects.toThrow(/names the columns/)
    const counted = prepare((db, v: { id: number }) => db.selectFrom('locations').select(eb => eb.fn.countAll<number>().as('n')).where('id', '>', v.id))
    expect(Number((await counted.first(db, { id: 0 }))?.n)).toBe(0)
  })

  it.skipIf(!onPostgres)('goes to PostgreSQL as a named statement, parsed once per connection; other queries do not', async () => {
    const id = await addLocation('Theta Bibliotek')
    const byId = prepare((db, v: { id: number }) => db.selectFrom('locations').select('name').where('id', '=', v.id))
    const named = async (tx: DbOrTx) => (await sql<{ name: string, statement: string }>`select name, statement from pg_prepared_statements`.execute(tx)).rows
    await db.transaction().execute(async tx => {
      const before = await named(tx)
      expect(await byId.first(tx, { id })).toEqual({ name: 'Theta Bibliotek' })
      expect(await byId.first(tx, { id: id + 1000 })).toBeUndefined()
      await tx.selectFrom('locations').select('name').where('id', '=', id).execute()
      const added = (await named(tx)).filter(s => !before.some(b => b.name === s.name))
      expect(added).toHaveLength(1)
      expect(added[0]!.name).toMatch(/^dk_/)
      expect(added[0]!.statement).toContain('from "locations" where "id" = $1')
    })
  })

  /*
   * During a rolling upgrade the newer server migrates while the older one still serves,
   * its connections holding named statements. PostgreSQL refuses such a statement for
   * good once what its `*` stands for changed, so the prepared queries name their columns.
   */
  it.skipIf(!onPostgres)('keeps booking and checking in on the same connection after a migration added a column to every table', async () => {
    const location = await newDatabase()
    const older = openDatabase(location, 1)
    const newer = openDatabase(location, 1)
    closeWhenTestEnds(async () => { await older.destroy(); await newer.destroy() })
    const classId = await createClass(older, { capacity: 3, meetings: ['2025-03-04T10:00'] })
    const meeting = await older.selectFrom('meetings').select(['id', 'starts_at']).where('class_id', '=', classId).executeTakeFirstOrThrow()
    const doorTime = { now: new Date(Date.parse(meeting.starts_at) + 5 * 60000) }
    const book = async (name: string, phone: string) => {
      const { token } = await bookNew(older, CITIZEN, classId, bookingInput({ name, phone }), { source: 'online', now: new Date('2025-02-01T12:00:00Z') })
      return await older.selectFrom('bookings').select('id').where('token', '=', token).executeTakeFirstOrThrow()
    }
    const tap = async (type: 'in' | 'out', bookingId: number) => await runCheckinAction(older, SYSTEM, meeting.id, { key: newCheckinKey(), type, bookingId }, doorTime)
    const grethe = await book('Grethe Hansen', '+4540000001')
    expect((await tap('in', grethe.id)).outcome).toBe('checked_in')
    const named = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements where name like 'dk_%'`.execute(older)
    expect(named.rows[0]!.n).toBeGreaterThan(5)

    const tables = await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema() and tablename not like 'kysely_%'`.execute(newer)
    expect(tables.rows.length).toBeGreaterThan(20)
    for (const { name } of tables.rows) await sql`alter table ${sql.table(name)} add column upgrade_note text`.execute(newer)

    expect((await tap('out', grethe.id)).outcome).toBe('undone')
    expect((await tap('in', grethe.id)).outcome).toBe('checked_in')
    const poul = await book('Poul Jensen', '+4540000002')
    const again = await bookSeat(older, CITIZEN, classId, bookingInput({ name: 'Grethe Hansen', phone: '+4540000001' }), { source: 'online', now: new Date('2025-02-01T13:00:00Z') })
    expect(again.created).toBe(false)
    expect((await tap('in', poul.id)).outcome).toBe('checked_in')
    const walkIn = await runCheckinAction(older, SYSTEM, meeting.id, { key: newCheckinKey(), type: 'walkin', person: { name: 'Karen', phone: null, email: null }, overfill: false }, doorTime)
    expect(walkIn.outcome).toBe('checked_in')
    const { token } = await older.selectFrom('bookings').select('token').where('id', '=', poul.id).executeTakeFirstOrThrow()
    await cancelBooking(older, CITIZEN, token, 'participant', new Date('2025-02-02T12:00:00Z'))
    expect(await older.selectFrom('attendances').select(eb => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).toEqual({ n: 3 })
  })
})
