import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely'

// Frozen in time: no imports from the app.

export async function up (db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter
  const id = (col: ColumnDefinitionBuilder) =>
    isPostgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey()

  await db.schema.createTable('staff_users')
    .addColumn('id', 'integer', id)
    .addColumn('email', 'varchar(254)', col => col.notNull().unique())
    .addColumn('name', 'varchar(200)', col => col.notNull())
    .addColumn('role', 'varchar(20)', col => col.notNull())
    .addColumn('password_hash', 'varchar(200)')
    .addColumn('active', 'integer', col => col.notNull().defaultTo(1))
    .addColumn('created_at', 'varchar(30)', col => col.notNull())
    .addColumn('last_sign_in_at', 'varchar(30)')
    .execute()

  await db.schema.createTable('audit_log')
    .addColumn('id', 'integer', id)
    .addColumn('at', 'varchar(30)', col => col.notNull())
    .addColumn('staff_user_id', 'integer', col => col.references('staff_users.id'))
    .addColumn('action', 'varchar(50)', col => col.notNull())
    .addColumn('subject_type', 'varchar(30)')
    .addColumn('subject_id', 'integer')
    .addColumn('detail', 'text')
    .execute()
  await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_log').execute()
  await db.schema.dropTable('staff_users').execute()
}
