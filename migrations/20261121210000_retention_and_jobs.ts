import type { Kysely } from 'kysely'

// Frozen in time: no imports from the app.
// - participants.anonymised_at: when the personal data went (retention, or erasure on request).
// - scheduled_jobs: when each daily job last ran and is next due; a server takes a due run
//   with one conditional update, so a run happens once even with several servers.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('participants').addColumn('anonymised_at', 'varchar(30)').execute()
  await db.schema.createTable('scheduled_jobs')
    .addColumn('name', 'varchar(50)', col => col.primaryKey())
    .addColumn('last_run_at', 'varchar(30)')
    .addColumn('next_run_at', 'varchar(30)', col => col.notNull())
    .addColumn('last_result', 'varchar(200)')
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('scheduled_jobs').execute()
  await db.schema.alterTable('participants').dropColumn('anonymised_at').execute()
}
