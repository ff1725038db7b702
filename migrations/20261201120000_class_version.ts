import type { Kysely } from 'kysely'

// Frozen in time: no imports from the app.
// classes.version: bumped by every change of a class or its meetings. The edit form and
// the API carry the version they were made from, and a save from an older one is refused
// (a conditional update), so one leader never silently undoes another's change.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('classes').addColumn('version', 'integer', col => col.notNull().defaultTo(1)).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('classes').dropColumn('version').execute()
}
