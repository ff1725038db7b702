import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../server/db/connection.ts'
import { byColumns, prepare } from '../../server/db/prepared.ts'
import { createTestDb } from '../helpers/database.ts'

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
})
