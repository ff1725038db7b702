import { sql } from 'kysely'
import type { DbOrTx } from '../db/connection.ts'
import type { InterestSubscriptionRow } from '../db/schema.ts'

export async function findSubscription (db: DbOrTx, courseSlug: string, email: string): Promise<InterestSubscriptionRow | undefined> {
  return await db.selectFrom('interest_subscriptions').selectAll()
    .where('course_slug', '=', courseSlug).where('email', '=', email).executeTakeFirst()
}

export async function findSubscriptionByToken (db: DbOrTx, token: string): Promise<InterestSubscriptionRow | undefined> {
  return await db.selectFrom('interest_subscriptions').selectAll().where('token', '=', token).executeTakeFirst()
}

export async function insertSubscription (db: DbOrTx, row: { course_slug: string, email: string, token: string, created_at: string }): Promise<InterestSubscriptionRow> {
  return await db.insertInto('interest_subscriptions').values({ ...row, unsubscribed_at: null }).returningAll().executeTakeFirstOrThrow()
}

export async function setUnsubscribed (db: DbOrTx, id: number, at: string | null): Promise<void> {
  await db.updateTable('interest_subscriptions').set({ unsubscribed_at: at }).where('id', '=', id).execute()
}

export async function listActiveSubscriptions (db: DbOrTx, courseSlug: string): Promise<InterestSubscriptionRow[]> {
  return await db.selectFrom('interest_subscriptions').selectAll()
    .where('course_slug', '=', courseSlug).where('unsubscribed_at', 'is', null).orderBy('id').execute()
}

/** Records that a subscriber has heard about these classes; returns the ones that were new to them. */
export async function recordNotices (db: DbOrTx, subscriptionId: number, classIds: number[], at: string): Promise<number[]> {
  if (classIds.length === 0) return []
  const known = new Set((await db.selectFrom('interest_notices').select('class_id')
    .where('subscription_id', '=', subscriptionId).where('class_id', 'in', classIds).execute()).map(r => r.class_id))
  const fresh = classIds.filter(id => !known.has(id))
  if (fresh.length > 0) {
    await db.insertInto('interest_notices').values(fresh.map(classId => ({ subscription_id: subscriptionId, class_id: classId, at })))
      .onConflict(oc => oc.columns(['subscription_id', 'class_id']).doNothing()).execute()
  }
  return fresh
}

/** Active subscribers per course, for planning. */
export async function countActiveSubscriptions (db: DbOrTx): Promise<Map<string, number>> {
  const rows = await db.selectFrom('interest_subscriptions').select(['course_slug', sql<number>`count(*)`.as('n')])
    .where('unsubscribed_at', 'is', null).groupBy('course_slug').execute()
  return new Map(rows.map(r => [r.course_slug, Number(r.n)]))
}
