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

export async function findSubscriptionByConfirmHash (db: DbOrTx, hash: string): Promise<InterestSubscriptionRow | undefined> {
  return await db.selectFrom('interest_subscriptions').selectAll().where('confirm_token_hash', '=', hash).executeTakeFirst()
}

/** A new sign-up, waiting for its confirmation. */
export async function insertPendingSubscription (db: DbOrTx, row: { course_slug: string, email: string, token: string, confirm_token_hash: string, created_at: string }): Promise<void> {
  await db.insertInto('interest_subscriptions')
    .values({ ...row, unsubscribed_at: null, confirmed_at: null, confirm_sent_at: row.created_at }).execute()
}

/** A new confirmation e-mail for an existing row: pending again (after unsubscribing, signed up anew from `signedUpAt`). */
export async function setPendingConfirmation (db: DbOrTx, id: number, hash: string, at: string, signedUpAt?: string): Promise<void> {
  await db.updateTable('interest_subscriptions')
    .set({ confirm_token_hash: hash, confirm_sent_at: at, confirmed_at: null, unsubscribed_at: null, ...(signedUpAt ? { created_at: signedUpAt } : {}) })
    .where('id', '=', id).execute()
}

/** Confirms a pending sign-up; false when it was confirmed or unsubscribed in the meantime. */
export async function setConfirmed (db: DbOrTx, id: number, at: string): Promise<boolean> {
  const result = await db.updateTable('interest_subscriptions').set({ confirmed_at: at })
    .where('id', '=', id).where('confirmed_at', 'is', null).where('unsubscribed_at', 'is', null).executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function setUnsubscribed (db: DbOrTx, id: number, at: string | null): Promise<void> {
  await db.updateTable('interest_subscriptions').set({ unsubscribed_at: at }).where('id', '=', id).execute()
}

/** Confirmed subscribers who have not unsubscribed: the only ones told about new classes. */
export async function listActiveSubscriptions (db: DbOrTx, courseSlug: string): Promise<InterestSubscriptionRow[]> {
  return await db.selectFrom('interest_subscriptions').selectAll()
    .where('course_slug', '=', courseSlug).where('unsubscribed_at', 'is', null).where('confirmed_at', 'is not', null).orderBy('id').execute()
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

/** Active (confirmed) subscribers per course, for planning. */
export async function countActiveSubscriptions (db: DbOrTx): Promise<Map<string, number>> {
  const rows = await db.selectFrom('interest_subscriptions').select(['course_slug', sql<number>`count(*)`.as('n')])
    .where('unsubscribed_at', 'is', null).where('confirmed_at', 'is not', null).groupBy('course_slug').execute()
  return new Map(rows.map(r => [r.course_slug, Number(r.n)]))
}
