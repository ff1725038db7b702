import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely'

// Frozen in time: no imports from the app.

export async function up (db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter
  const id = (col: ColumnDefinitionBuilder) =>
    isPostgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey()

  await db.schema.createTable('partners')
    .addColumn('id', 'integer', id)
    .addColumn('name', 'varchar(200)', col => col.notNull())
    .addColumn('contact', 'varchar(300)')
    .addColumn('note', 'text')
    .addColumn('archived_at', 'varchar(30)')
    .addColumn('created_at', 'varchar(30)', col => col.notNull())
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('partners').execute()
}
