import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely'

// Frozen in time: no imports from the app. Bearer tokens for library websites and CMSs;
// only a SHA-256 hash of each token is stored.

export async function up (db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter
  const id = (col: ColumnDefinitionBuilder) =>
    isPostgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey()

  await db.schema.createTable('api_tokens')
    .addColumn('id', 'integer', id)
    .addColumn('name', 'varchar(100)', col => col.notNull())
    .addColumn('token_hash', 'varchar(64)', col => col.notNull().unique())
    .addColumn('created_by', 'integer', col => col.references('staff_users.id'))
    .addColumn('created_at', 'varchar(30)', col => col.notNull())
    .addColumn('revoked_at', 'varchar(30)')
    .addColumn('last_used_at', 'varchar(30)')
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('api_tokens').execute()
}
