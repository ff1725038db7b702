import type { Kysely } from 'kysely'

// Frozen in time: no imports from the app. Who teaches or helps on which class, and
// a volunteer's profile: phone and the places they help at.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('class_staff')
    .addColumn('class_id', 'integer', col => col.notNull().references('classes.id'))
    .addColumn('staff_user_id', 'integer', col => col.notNull().references('staff_users.id'))
    .addColumn('task', 'varchar(20)', col => col.notNull())
    .addPrimaryKeyConstraint('class_staff_pk', ['class_id', 'staff_user_id'])
    .execute()
  await db.schema.createIndex('class_staff_user_idx').on('class_staff').column('staff_user_id').execute()
  await db.schema.alterTable('staff_users').addColumn('phone', 'varchar(20)').execute()
  await db.schema.createTable('staff_locations')
    .addColumn('staff_user_id', 'integer', col => col.notNull().references('staff_users.id'))
    .addColumn('location_id', 'integer', col => col.notNull().references('locations.id'))
    .addPrimaryKeyConstraint('staff_locations_pk', ['staff_user_id', 'location_id'])
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('staff_locations').execute()
  await db.schema.alterTable('staff_users').dropColumn('phone').execute()
  await db.schema.dropTable('class_staff').execute()
}
