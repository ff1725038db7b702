import { type Kysely, PostgresAdapter, sql } from 'kysely'

// Frozen in time: no imports from the app.
// bookings.checkin_code was added by ALTER TABLE (20261121200000), filled for every booking
// there was, and set by every insert since; but the column itself still allowed null.
// It is NOT NULL from here, as schema.ts has always said. PostgreSQL changes the column;
// SQLite cannot, so there the table is made again with the same definition plus NOT NULL
// (https://sqlite.org/lang_altertable.html#otheralter), its indexes with it. A booking
// without a code, which should not exist, stops the migration rather than lose its code.

const plain = '"checkin_code" varchar(12)'
const required = '"checkin_code" varchar(12) not null'

export async function up (db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table bookings alter column checkin_code set not null`.execute(db)
  } else {
    await rebuildSqliteBookings(db, plain, required)
  }
}

export async function down (db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table bookings alter column checkin_code drop not null`.execute(db)
  } else {
    await rebuildSqliteBookings(db, required, plain)
  }
}

/** SQLite's way to change a column: a new table with the changed definition, the rows copied over. */
async function rebuildSqliteBookings (db: Kysely<any>, from: string, to: string): Promise<void> {
  await db.connection().execute(async conn => {
    // Other tables refer to bookings; the check below stands in for the one switched off.
    await sql`pragma foreign_keys = off`.execute(conn)
    try {
      await conn.transaction().execute(async tx => {
        const objects = (await sql<{ type: string, sql: string | null }>`select type, sql from sqlite_master where tbl_name = 'bookings'`.execute(tx)).rows
        const table = objects.find(o => o.type === 'table')?.sql ?? ''
        if (table.split(from).length !== 2) throw new Error(`bookings has no single column ${from}`)
        const indexes = objects.filter(o => o.type === 'index' && o.sql !== null).map(o => o.sql as string)
        await sql.raw(table.replace(from, to).replace(/^CREATE TABLE "bookings"/, 'CREATE TABLE "bookings_new"')).execute(tx)
        await sql`insert into bookings_new select * from bookings`.execute(tx)
        await sql`drop table bookings`.execute(tx)
        await sql`alter table bookings_new rename to bookings`.execute(tx)
        for (const index of indexes) await sql.raw(index).execute(tx)
        const broken = (await sql`pragma foreign_key_check`.execute(tx)).rows
        if (broken.length > 0) throw new Error(`bookings: ${broken.length} broken references after the rebuild`)
      })
    } finally {
      await sql`pragma foreign_keys = on`.execute(conn)
    }
  })
}
