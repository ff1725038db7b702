import type { Kysely } from 'kysely'

// Frozen in time: no imports from the app. A class may be co-hosted by a partner.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('classes').addColumn('partner_id', 'integer', col => col.references('partners.id')).execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('classes').dropColumn('partner_id').execute()
}
